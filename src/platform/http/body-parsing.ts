import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { problem, sendProblem } from './problem';

/**
 * Body parsers registered by hand (JSON only), followed at once by an error handler, so
 * that malformed JSON and oversized bodies become problem+json 400/413 rather
 * than Express's default HTML page.
 */
export function bodyParsers(limit: string) {
  return [
    json({ limit, type: ['application/json', 'application/*+json'], strict: true }),
    // text/csv is not parsed here: the CSV import streams the request itself.
    (err: any, _req: Request, res: Response, next: NextFunction) => {
      if (!err) return next();
      if (err.type === 'entity.too.large') {
        return sendProblem(res, problem(413, 'payload-too-large', `request body exceeds ${limit}`));
      }
      if (err.type === 'entity.parse.failed') {
        return sendProblem(res, problem(400, 'malformed-json', 'request body is not valid JSON', [
          { field: '$body', messages: [String(err.message ?? 'malformed JSON')] },
        ]));
      }
      if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
        return sendProblem(res, problem(415, 'unsupported-media-type', String(err.message)));
      }
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        return sendProblem(res, problem(err.status, 'bad-request', String(err.message ?? 'bad request')));
      }
      return next(err);
    },
  ];
}

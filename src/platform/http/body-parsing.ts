import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { problem, sendProblem } from './problem';

/** Keys that would reach an object's prototype once a body is copied into a DTO (prototype pollution). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Bodies that might hold such a key, even spelled with \u escapes; only these are parsed a second time. */
const SUSPECT = /__proto__|constructor|prototype|\\u/;

/** Deeper than any request the API takes; deeper bodies could exhaust the stack of the code that copies them into DTOs. */
export const MAX_JSON_DEPTH = 32;

class TooDeep extends Error {
  readonly status = 400;
  constructor() {
    super(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/** How deep arrays and objects nest in a JSON text, by one pass over its bytes (brackets inside strings do not count); stops past `max`. */
export function jsonDepth(buf: Buffer, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

class ForbiddenKey extends Error {
  readonly status = 400;
  constructor(readonly key: string) {
    super(`the key "${key}" is not allowed anywhere in a request body`);
  }
}

/**
 * Refuses a body nested deeper than MAX_JSON_DEPTH, or with a key named __proto__, constructor or prototype at any
 * depth. No field of the API has such a name, and copying one into a DTO can
 * swap the object's prototype, so that an absent field seems present.
 */
export function checkJsonBody(_req: unknown, _res: unknown, buf: Buffer): void {
  if (jsonDepth(buf, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new TooDeep();
  const text = buf.toString('utf8');
  if (!SUSPECT.test(text)) return;
  try {
    JSON.parse(text, (key, value) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKey(key);
      if (LONE_SURROGATE.test(key)) throw new NotText(key);
      if (typeof value === 'string' && LONE_SURROGATE.test(value)) throw new NotText(key);
      return value;
    });
  } catch (e) {
    if (e instanceof ForbiddenKey || e instanceof NotText) throw e;
    // Malformed JSON: the parser proper reports it.
  }
}

/**
 * Half of a UTF-16 surrogate pair, alone: valid in a JSON text as an escape
 * (`"\ud800"`), but not a character. Written to PostgreSQL it became U+FFFD in a
 * text column, and a jsonb column refused it after the row was written (the
 * fuzz test: POST /v1/banks with such a name wrote the bank and answered 400).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

class NotText extends Error {
  readonly status = 400;
  constructor(readonly key: string) {
    super(`${key ? `the field "${key}"` : 'a value'} holds half of a UTF-16 surrogate pair, which is not text`);
  }
}

/** Routes whose body is not JSON, and the types they take (they check their own body). */
export const NON_JSON_BODIES: { route: RegExp; type: RegExp }[] = [
  { route: /^POST \/v1\/records\/import$/, type: /^(text\/csv|application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet)\b/i },
  { route: /^POST \/v1\/migrations\/[^/]+\/(opening-balances|records|service-hours)$/, type: /^(text\/csv|application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet)\b/i },
  { route: /^POST \/h\/[^/]+\/claims$/, type: /^multipart\/form-data\b/i },
];

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A body that is not JSON, sent to a route that takes JSON, is a 415: it would
 * otherwise be ignored and the request refused for missing fields, which hides
 * what is wrong.
 */
export function requireJsonBodies() {
  return (req: Request, res: Response, next: NextFunction) => {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!WITH_BODY.has(req.method) || !hasBody || req.is(['application/json', 'application/*+json'])) return next();
    const route = `${req.method} ${req.path}`;
    const special = NON_JSON_BODIES.some((b) => b.route.test(route));
    if (special) return next(); // the route checks its own type
    const type = req.headers['content-type'] ?? '(none)';
    return sendProblem(res, problem(415, 'unsupported-media-type', `this endpoint takes application/json, not ${type}`));
  };
}

/**
 * Body parsers registered by hand (JSON only), followed at once by an error handler, so
 * that malformed JSON, pollution keys and oversized bodies become problem+json
 * 400/413 rather than Express's default HTML page.
 */
export function bodyParsers(limit: string) {
  return [
    requireJsonBodies(),
    json({ limit, type: ['application/json', 'application/*+json'], strict: true, verify: checkJsonBody }),
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
      if (err.type === 'entity.verify.failed' && err instanceof TooDeep) {
        return sendProblem(res, problem(400, 'too-deep', err.message, [{ field: '$body', messages: [err.message] }]));
      }
      if (err.type === 'entity.verify.failed' && err instanceof NotText) {
        return sendProblem(res, problem(400, 'not-text', err.message, [{ field: err.key || '$body', messages: [err.message] }]));
      }
      if (err.type === 'entity.verify.failed' && err instanceof ForbiddenKey) {
        return sendProblem(res, problem(400, 'forbidden-key', err.message, [{ field: err.key, messages: [err.message] }]));
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

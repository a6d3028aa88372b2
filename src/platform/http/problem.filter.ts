import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { mapError } from './app-error';
import { problem, sendProblem } from './problem';
import { isDataException, isGiveUp, pgCode, PG } from '../database/pg-errors';

const HTTP_CODES: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'business-rule',
  429: 'too-many-attempts',
  503: 'busy',
};

/** The one place where errors become application/problem+json (RFC 9457). */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    // The client is gone (it hung up, or Node refused its request at the socket): nobody
    // reads an answer, and the error is the lost connection's, not a fault of the service.
    if (res.destroyed || res.socket?.destroyed || !res.writable) {
      const requestId = (res.req as { id?: string } | undefined)?.id;
      this.logger.log(`${requestId ? `request ${requestId}: ` : ''}the client closed the connection before the answer (${exception instanceof Error ? exception.message : String(exception)})`);
      return;
    }
    const app = mapError(exception);
    if (app) {
      sendProblem(res, problem(app.status, app.code, app.message, app.errors), app.headers);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const detail =
        typeof body === 'string'
          ? body
          : Array.isArray((body as any)?.message)
            ? (body as any).message.join('; ')
            : String((body as any)?.message ?? exception.message);
      sendProblem(res, problem(status, HTTP_CODES[status] ?? 'error', detail));
      return;
    }
    // Safety nets: the database refusing a value is still the caller's input.
    if (isDataException(exception)) {
      sendProblem(res, problem(400, 'invalid-value', 'a value is out of range or malformed'));
      return;
    }
    if (isGiveUp(exception)) {
      const what = pgCode(exception) === PG.lockNotAvailable ? 'waited too long for a record another request is changing' : 'the database did not answer in time';
      sendProblem(res, problem(503, 'busy', `${what}; nothing was changed, try again shortly`), { 'Retry-After': '1' });
      return;
    }
    if (pgCode(exception) === PG.uniqueViolation) {
      sendProblem(res, problem(409, 'already-exists', 'a resource with the same key already exists'));
      return;
    }
    // The request id in the line, so the 500 the caller reports (its problem body carries the id) can be found.
    const requestId = (res.req as { id?: string } | undefined)?.id;
    this.logger.error(`${requestId ? `request ${requestId}: ` : ''}${exception instanceof Error ? exception.stack ?? exception.message : String(exception)}`);
    sendProblem(res, problem(500, 'internal', 'an unexpected error occurred; it has been logged'));
  }
}

import { Global, Inject, Injectable, LoggerService, Module } from '@nestjs/common';
import { currentRequestId, inRequest } from './request-context';
import { randomUUID } from 'crypto';
import type { NextFunction, Request, Response } from 'express';
import pino, { Logger as Pino } from 'pino';
import { AppConfig } from '../config/app-config';
import { prettyDestination } from './pretty-log';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** What X-Request-Id may be when the caller sends one; anything else gets a fresh id. */
const SANE_REQUEST_ID = /^[\w.-]{1,64}$/;

/** Nest's own contexts that log every module loaded and every route mapped at start-up. */
const FRAMEWORK_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication', 'TypeOrmModule']);

/**
 * Where log lines go: JSON lines (for collectors) unless LOG_FORMAT=pretty, or
 * LOG_FORMAT is unset and standard output is a terminal, where a person reads them.
 */
export function rootLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>, out: NodeJS.WriteStream = process.stdout): Pino {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === undefined && Boolean(out.isTTY));
  if (pretty) return pino({ level: config.logLevel }, prettyDestination(out));
  // Standard output keeps pino's own fast destination (sonic-boom on fd 1).
  return out === process.stdout ? pino({ level: config.logLevel }) : pino({ level: config.logLevel }, out);
}

/**
 * Nest's logger as JSON lines (pino): `{"level":30,"time":…,"context":"RecordsImport","msg":"…"}`.
 * Nest passes the context as the last argument (and the stack before it, for errors).
 */
@Injectable()
export class AppLogger implements LoggerService {
  constructor(@Inject(ROOT_LOGGER) private readonly root: Pino) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(wanted: pino.Level, message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    // Nest's start-up chatter (a line per module and per route: 160 lines) is for debugging, not for the operator's first minute.
    const level = wanted === 'info' && context && FRAMEWORK_CHATTER.has(context) ? 'debug' : wanted;
    if (!this.root.isLevelEnabled(level)) return;
    const stack = level === 'error' && rest.length === 2 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    const reqId = currentRequestId();
    if (reqId) fields.reqId = reqId;
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) this.root[level]({ ...fields, err: message }, message.message);
    else if (message !== null && typeof message === 'object') this.root[level]({ ...fields, ...message });
    else this.root[level](fields, String(message));
  }
}

/**
 * Gives every request an id (X-Request-Id when the caller sends a sane one,
 * echoed back; problem bodies carry it as `requestId`) and logs one line when
 * it ends: method, URL, status, milliseconds, at info, warn for 4xx, error for
 * 5xx, and warn if the client went away first. Headers are never logged.
 *
 * This replaced pino-http, whose child logger per request (serializing the
 * request whether or not anything was logged) cost about 0.16 ms of CPU per
 * request, a third of a /health request (docs/PERFORMANCE.md). Log lines
 * written by the code during a request carry its id through request-context.ts.
 */
export function requestLogging(logger: Pino) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    (req as Request & { id: string }).id = id;
    res.setHeader('X-Request-Id', id);
    if (logger.isLevelEnabled('error')) {
      const started = process.hrtime.bigint();
      res.once('close', () => {
        const finished = res.writableFinished;
        const status = res.statusCode;
        const level = !finished ? 'warn' : status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
        if (!logger.isLevelEnabled(level)) return;
        const responseTime = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
        logger[level]({ reqId: id, req: { method: req.method, url: req.originalUrl ?? req.url }, res: { statusCode: status }, responseTime }, finished ? 'request completed' : 'request aborted');
      });
    }
    // Everything the request does runs in its context: log lines and crashes name it.
    inRequest(id, next);
  };
}

/**
 * Structured JSON logs (pino) at LOG_LEVEL. The request middleware is mounted
 * by `createApp` on the Express app itself, first, before the body parsers:
 * every request gets its id, even one the parsers refuse, and it skips the
 * route matching Nest does for each module middleware.
 */
@Global()
@Module({
  providers: [{ provide: ROOT_LOGGER, inject: [AppConfig], useFactory: (config: AppConfig) => rootLogger(config) }, AppLogger],
  exports: [ROOT_LOGGER, AppLogger],
})
export class LoggingModule {}

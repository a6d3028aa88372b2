import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { AppLogger, requestLogging, rootLogger } from './logging.module';
import { prettyLine } from './pretty-log';

const capture = (level: string) => {
  const lines: Record<string, any>[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { lines, logger };
};

const appWith = (logger: pino.Logger) => {
  const app = express();
  app.use(requestLogging(logger));
  app.get('/ok', (_req, res) => res.json({ ok: true }));
  app.get('/missing', (_req, res) => res.status(404).json({}));
  app.get('/boom', (_req, res) => res.status(500).json({}));
  return app;
};

describe('request logging', () => {
  it('one line per request: id, method, URL, status and time, at a level by status; headers never', async () => {
    const { lines, logger } = capture('info');
    const app = appWith(logger);
    const ok = await request(app).get('/ok?x=1').set('Authorization', 'Bearer secret-token').set('X-Request-Id', 'abc-123');
    expect(ok.headers['x-request-id']).toBe('abc-123');
    await request(app).get('/missing');
    await request(app).get('/boom');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.req.method, l.req.url, l.res.statusCode, l.msg])).toEqual([
      [30, 'GET', '/ok?x=1', 200, 'request completed'],
      [40, 'GET', '/missing', 404, 'request completed'],
      [50, 'GET', '/boom', 500, 'request completed'],
    ]);
    expect(lines[0].reqId).toBe('abc-123');
    expect(lines[1].reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof lines[0].responseTime).toBe('number');
    expect(JSON.stringify(lines)).not.toMatch(/secret-token|authorization/i);
  });

  it('makes a fresh id when the one sent is not sane, and logs nothing when silent (but still gives ids)', async () => {
    const { lines, logger } = capture('silent');
    const res = await request(appWith(logger)).get('/ok').set('X-Request-Id', 'bad id with spaces');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([]);
  });
});

describe('AppLogger', () => {
  it('writes Nest log calls as JSON with their context, and errors with their stack', () => {
    const { lines, logger } = capture('debug');
    const log = new AppLogger(logger);
    log.log('导入进度：已处理 20000 行', 'RecordsImport');
    log.error('failed', 'Error: failed\n    at x', 'ProblemFilter');
    log.warn({ event: 'retry', attempt: 2 }, 'Ledger');
    log.verbose('not at debug');
    expect(lines.map((l) => [l.level, l.context, l.msg ?? l.event])).toEqual([
      [30, 'RecordsImport', '导入进度：已处理 20000 行'],
      [50, 'ProblemFilter', 'failed'],
      [40, 'Ledger', 'retry'],
    ]);
    expect(lines[1].stack).toContain('at x');
  });
});

describe('the operator\'s first minute', () => {
  it('Nest\'s start-up chatter (modules loaded, routes mapped) is debug; the service\'s own info lines stay info', () => {
    const { lines, logger } = capture('debug');
    const app = new AppLogger(logger);
    app.log('AuthModule dependencies initialized', 'InstanceLoader');
    app.log('Mapped {/v1/me, GET} route', 'RouterExplorer');
    app.log('导入进度：已处理 20000 行', 'RecordsImport');
    expect(lines.map((l) => [l.level, l.context])).toEqual([[20, 'InstanceLoader'], [20, 'RouterExplorer'], [30, 'RecordsImport']]);
    const quiet = capture('info');
    new AppLogger(quiet.logger).log('Mapped {/v1/me, GET} route', 'RouterExplorer');
    expect(quiet.lines).toEqual([]);
  });

  const fakeOut = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, out: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
  };

  it('on a terminal, lines are for people; otherwise, or with LOG_FORMAT=json, JSON', () => {
    const tty = fakeOut(true);
    rootLogger({ logLevel: 'info', logFormat: undefined }, tty.out).info({ context: 'RecordsImport', importId: 'abc' }, '导入完成');
    expect(tty.written[0]).toMatch(/^\d\d:\d\d:\d\d .*INFO.* \[RecordsImport\] 导入完成 .*importId=abc/);
    const pipe = fakeOut(false);
    rootLogger({ logLevel: 'info', logFormat: undefined }, pipe.out).info({ context: 'RecordsImport' }, '导入完成');
    expect(JSON.parse(pipe.written[0])).toMatchObject({ level: 30, context: 'RecordsImport', msg: '导入完成' });
    const json = fakeOut(true);
    rootLogger({ logLevel: 'info', logFormat: 'json' }, json.out).info('x');
    expect(JSON.parse(json.written[0])).toMatchObject({ msg: 'x' });
    const forced = fakeOut(true);
    rootLogger({ logLevel: 'info', logFormat: 'pretty' }, forced.out).warn('x');
    expect(forced.written[0]).toContain('WARN');
  });

  it('a request line and an error with its stack read as one would say them', () => {
    const req = prettyLine(JSON.stringify({ level: 40, time: Date.UTC(2026, 11, 6, 1, 2, 3), reqId: 'r1', req: { method: 'GET', url: '/v1/me' }, res: { statusCode: 401 }, responseTime: 1.5, msg: 'request completed' }), false);
    expect(req).toMatch(/^\d\d:\d\d:\d\d WARN {2}GET \/v1\/me → 401 1\.5 ms reqId=r1$/);
    const err = prettyLine(JSON.stringify({ level: 50, time: 0, context: 'X', msg: 'boom', err: { stack: 'Error: boom\n    at y' } }), false);
    expect(err.split('\n')).toEqual([expect.stringMatching(/ERROR \[X\] boom$/), '    Error: boom', '        at y']);
    expect(prettyLine('not json', false)).toBe('not json');
  });
});

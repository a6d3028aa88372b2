import { ArgumentsHost, Logger } from '@nestjs/common';
import { ProblemFilter } from './problem.filter';

/** What the filter does with an error, for a response whose client is still there or gone. */
function handle(exception: unknown, gone: boolean) {
  const sent: { status?: number; body?: unknown } = {};
  const res = {
    headersSent: false,
    destroyed: gone,
    writable: !gone,
    socket: { destroyed: gone },
    req: { id: 'req-1' },
    status(code: number) {
      sent.status = code;
      return this;
    },
    setHeader() {
      return this;
    },
    type() {
      return this;
    },
    send(body: unknown) {
      sent.body = body;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res, getRequest: () => res.req }) } as unknown as ArgumentsHost;
  const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  try {
    new ProblemFilter().catch(exception, host);
    return { sent, errors: error.mock.calls.length, logs: log.mock.calls.map((c) => String(c[0])) };
  } finally {
    error.mockRestore();
    log.mockRestore();
  }
}

describe('ProblemFilter', () => {
  const premature = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

  it('an unexpected error for a client still there is a logged 500', () => {
    const r = handle(premature, false);
    expect(r.sent.status).toBe(500);
    expect(r.errors).toBe(1);
  });

  it('an error after the client hung up is not a fault of the service: no 500, no error line, an info line', () => {
    // Seen in the fuzz test: a GET export with a body Node refused at the socket (400) went on
    // streaming, and its lost connection was logged as an error.
    const r = handle(premature, true);
    expect(r.sent.status).toBeUndefined();
    expect(r.errors).toBe(0);
    expect(r.logs).toEqual([expect.stringContaining('request req-1: the client closed the connection')]);
  });
});

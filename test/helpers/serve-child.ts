/**
 * The real process (src/server.ts `serve`, as main.ts runs it) with two routes
 * that only the process tests add, before the app's own:
 *   GET /_test/crash: a promise rejected inside a request, that nobody handles;
 *   GET /_test/throw: an exception thrown from a timer a request started.
 */
import 'reflect-metadata';
import { reportStartFailure, serve } from '../../src/server';

// A test run killed half-way (SIGKILL skips its afterEach) must not leave this server running.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(1), 1000).unref();

serve(process.env, {
  beforeInit(app) {
    const express = app.getHttpAdapter().getInstance();
    express.get('/_test/crash', (_req: unknown, res: { json: (b: unknown) => void }) => {
      void Promise.reject(new Error('a rejection nobody handles'));
      setTimeout(() => res.json({ survived: true }), 500);
    });
    express.get('/_test/throw', (_req: unknown, res: { json: (b: unknown) => void }) => {
      setTimeout(() => {
        throw new Error('an exception thrown from a timer');
      }, 10);
      setTimeout(() => res.json({ survived: true }), 500);
    });
  },
}).catch(reportStartFailure);

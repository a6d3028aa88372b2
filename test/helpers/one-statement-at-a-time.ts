/**
 * A connection runs one statement at a time. node-pg still queues a statement sent
 * while its connection is busy, but that is deprecated and goes in pg 9; code that
 * relies on it (two queries of one transaction under Promise.all, a statement sent
 * before the last one finished) would break on upgrade. In every test file, any
 * statement sent on a busy connection fails the file, with where it was sent.
 */
import { Client } from 'pg';

type Busy = Client & { _activeQuery?: unknown; _queryQueue?: unknown[] };

const overlaps: string[] = [];
const query = Client.prototype.query;
Client.prototype.query = function (this: Busy, ...args: unknown[]) {
  if (this._activeQuery || (this._queryQueue?.length ?? 0) > 0) overlaps.push(new Error('a statement was sent on a connection still running another').stack ?? '');
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

afterAll(() => {
  if (overlaps.length) throw new Error(`${overlaps.length} statement(s) sent on a busy connection; the first:\n${overlaps[0]}`);
});

import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { holding, Lane, onLane } from './db-context';
import { isRetryable, pgCode } from './pg-errors';

export interface UnitOfWorkOptions {
  isolation?: IsolationLevel;
  /** Attempts after the first on serialization failure or deadlock. */
  retries?: number;
  /** The pool to draw from (default: the caller's lane, requests unless set). */
  lane?: Lane;
  /** Lifts the lane's statement_timeout inside this transaction: imports, grade runs, exports. */
  long?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Transactions retried, by SQLSTATE (40P01 deadlock, 40001 serialization
 * failure), since the process started: jifen_db_retries_total on /metrics.
 * The lock order (ARCHITECTURE.md, rule 4) should keep it at zero; a retry is
 * logged as a warning, since it means two paths took locks in different orders.
 */
export const transactionRetries = new Map<string, number>();

/**
 * One database transaction per use case. Application services open it; the
 * repositories and the ledger port take its EntityManager, and everything
 * inside runs on it: asking the pool for another connection while holding
 * this one is refused (see LanePool), since that is how a pool deadlocks when
 * every connection is held by work waiting for one more. Serialization
 * failures and deadlocks are retried with jittered back-off, so callers see
 * them only if they persist.
 */
@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger('UnitOfWork');

  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>, opts: UnitOfWorkOptions = {}): Promise<T> {
    return opts.lane ? onLane(opts.lane, () => this.attempt(work, opts)) : this.attempt(work, opts);
  }

  private async attempt<T>(work: (manager: EntityManager) => Promise<T>, opts: UnitOfWorkOptions): Promise<T> {
    const retries = opts.retries ?? 5;
    const inside = (m: EntityManager) =>
      holding('a unit of work', async () => {
        if (opts.long) await m.query('SET LOCAL statement_timeout = 0');
        return work(m);
      });
    for (let attempt = 0; ; attempt++) {
      try {
        // READ COMMITTED is the server default: not naming it saves the
        // extra SET TRANSACTION round trip TypeORM would send.
        return await (opts.isolation && opts.isolation !== 'READ COMMITTED'
          ? this.dataSource.transaction(opts.isolation, inside)
          : this.dataSource.transaction(inside));
      } catch (e) {
        if (!isRetryable(e) || attempt >= retries) throw e;
        const code = pgCode(e) ?? 'unknown';
        transactionRetries.set(code, (transactionRetries.get(code) ?? 0) + 1);
        this.logger.warn(`transaction retried after ${code} (attempt ${attempt + 1}): ${e instanceof Error ? e.message : String(e)}`);
        await sleep(Math.random() * 5 * 2 ** attempt);
      }
    }
  }
}

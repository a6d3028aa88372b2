import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { isRetryable } from './pg-errors';

export interface UnitOfWorkOptions {
  isolation?: IsolationLevel;
  /** Attempts after the first on serialization failure or deadlock. */
  retries?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One database transaction per use case. Application services open it; the
 * repositories and the ledger port take its EntityManager. Serialization
 * failures and deadlocks are retried with jittered back-off, so callers see
 * them only if they persist.
 */
@Injectable()
export class UnitOfWork {
  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (manager: EntityManager) => Promise<T>, opts: UnitOfWorkOptions = {}): Promise<T> {
    const retries = opts.retries ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        // READ COMMITTED is the server default: not naming it saves the
        // extra SET TRANSACTION round trip TypeORM would send.
        return await (opts.isolation && opts.isolation !== 'READ COMMITTED'
          ? this.dataSource.transaction(opts.isolation, work)
          : this.dataSource.transaction(work));
      } catch (e) {
        if (!isRetryable(e) || attempt >= retries) throw e;
        await sleep(Math.random() * 5 * 2 ** attempt);
      }
    }
  }
}

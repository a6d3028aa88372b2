import { Logger } from '@nestjs/common';
import * as pg from 'pg';
import { AppError } from '../http/app-error';
import { currentLane, heldTransaction, Lane } from './db-context';

/** The waits of one lane's connections; every one is bounded. */
export interface LaneSettings {
  /** Connections in the lane's pool. */
  max: number;
  /** How long a caller waits for a free connection before it gets PoolBusy (503). */
  acquireTimeoutMs: number;
  /** PostgreSQL statement_timeout for the lane's sessions (0: none). A unit of work may lift it with SET LOCAL. */
  statementTimeoutMs: number;
  /** PostgreSQL lock_timeout: how long a statement waits for a row lock. */
  lockTimeoutMs: number;
}

export interface LanePoolSettings {
  lanes: Record<Lane, LaneSettings>;
  /** idle_in_transaction_session_timeout of every session: a transaction left open by a stuck caller is ended by the server. */
  idleInTransactionTimeoutMs: number;
  /**
   * What to do when code that holds a transaction's connection asks the pool for
   * another (a second unit of work, or a query outside the transaction's manager):
   * 'error' throws (tests), 'warn' logs it with its stack and counts it (production).
   */
  nestedAcquire: 'error' | 'warn';
  onNestedAcquire?: (what: string) => void;
}

/** No connection came free in time: the service is saturated, the caller may retry. */
export class PoolBusy extends AppError {
  constructor(lane: Lane, ms: number) {
    super(503, 'busy', `the service is busy (no database connection free within ${ms} ms on the ${lane} lane); try again shortly`, undefined, { 'Retry-After': '1' });
  }
}

/** A unit of work asked for a second connection while it held one: the way pools deadlock under load. */
export class NestedAcquire extends Error {
  constructor(what: string) {
    super(`a second database connection was requested while ${what} holds one; run the query on the transaction's EntityManager`);
  }
}

type ConnectCallback = (err: Error | undefined, client?: pg.PoolClient, release?: (e?: unknown) => void) => void;

const logger = new Logger('LanePool');

/**
 * Stands in for pg.Pool inside TypeORM's PostgreSQL driver (through its
 * `driver` option): one pg.Pool per lane, the lane taken from the caller's
 * async context (db-context.ts). It also catches, at the one place every
 * connection is handed out, code that holds a transaction and asks for
 * another connection.
 */
export function lanePoolDriver(settings: LanePoolSettings): typeof pg {
  class LanePool {
    readonly pools: Record<Lane, pg.Pool>;

    constructor(options: pg.PoolConfig) {
      const make = (lane: Lane): pg.Pool => {
        const s = settings.lanes[lane];
        const pool = new pg.Pool({
          ...options,
          max: s.max,
          connectionTimeoutMillis: s.acquireTimeoutMs,
          statement_timeout: s.statementTimeoutMs || undefined,
          lock_timeout: s.lockTimeoutMs || undefined,
          idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs || undefined,
          application_name: `jifen:${lane}`,
        } as pg.PoolConfig);
        return pool;
      };
      this.pools = { request: make('request'), batch: make('batch'), job: make('job') };
    }

    connect(cb?: ConnectCallback): Promise<pg.PoolClient> | void {
      const lane = currentLane();
      const held = heldTransaction();
      if (held) {
        const e = new NestedAcquire(held);
        settings.onNestedAcquire?.(held);
        if (settings.nestedAcquire === 'error') {
          if (cb) return void process.nextTick(() => cb(e));
          return Promise.reject(e);
        }
        logger.warn(e.stack ?? e.message);
      }
      const pool = this.pools[lane];
      const translate = (err: Error) =>
        err.message === 'timeout exceeded when trying to connect' ? new PoolBusy(lane, settings.lanes[lane].acquireTimeoutMs) : err;
      if (cb) {
        pool.connect((err, client, release) => (err ? cb(translate(err)) : cb(undefined, client, release)));
        return;
      }
      return pool.connect().catch((err: Error) => Promise.reject(translate(err)));
    }

    on(event: string, listener: (...args: unknown[]) => void): this {
      for (const p of Object.values(this.pools)) p.on(event as 'error', listener as () => void);
      return this;
    }

    end(cb?: (err?: Error) => void): Promise<void> | void {
      const done = Promise.all(Object.values(this.pools).map((p) => p.end())).then(() => undefined);
      if (!cb) return done;
      done.then(() => cb(), cb);
    }

    // What the metrics read of "the pool": the requests' lane.
    get totalCount(): number {
      return this.pools.request.totalCount;
    }
    get idleCount(): number {
      return this.pools.request.idleCount;
    }
    get waitingCount(): number {
      return this.pools.request.waitingCount;
    }
  }
  return Object.create(pg, { Pool: { value: LanePool, enumerable: true } });
}

/** The lane pools behind a TypeORM DataSource built with lanePoolDriver, for gauges and tests. */
export function lanePools(driverMaster: unknown): Record<Lane, pg.Pool> | null {
  const pools = (driverMaster as { pools?: Record<Lane, pg.Pool> } | undefined)?.pools;
  return pools ?? null;
}

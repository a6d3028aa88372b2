import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { nestedAcquires } from '../database/database.module';
import { transactionRetries } from '../database/unit-of-work';
import { lanePools } from '../database/lane-pool';

/** Prometheus metrics with a registry per app instance (tests start many apps). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route'>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'jifen_' });
    this.requests = new Counter({
      name: 'jifen_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'jifen_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    const pool = () => (dataSource.driver as any).master as { totalCount: number; idleCount: number; waitingCount: number } | undefined;
    const poolGauge = (name: string, help: string, read: (p: NonNullable<ReturnType<typeof pool>>) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const p = pool();
          this.set(p ? read(p) : 0);
        },
      });
    poolGauge('jifen_db_pool_connections', 'Open connections in the DB pool', (p) => p.totalCount);
    poolGauge('jifen_db_pool_idle', 'Idle connections in the DB pool', (p) => p.idleCount);
    poolGauge('jifen_db_pool_waiting', 'Queries waiting for a DB connection', (p) => p.waitingCount);
    // Every lane (requests, group-commit batches, jobs): see LanePool.
    const lanes = () => lanePools((dataSource.driver as { master?: unknown }).master);
    for (const [name, help, read] of [
      ['jifen_db_lane_connections', 'Open connections by lane', (p: { totalCount: number }) => p.totalCount],
      ['jifen_db_lane_waiting', 'Callers waiting for a connection, by lane', (p: { waitingCount: number }) => p.waitingCount],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['lane'],
        registers: [this.registry],
        collect() {
          for (const [lane, pool] of Object.entries(lanes() ?? {})) this.set({ lane }, read(pool));
        },
      });
    }
    new Counter({
      name: 'jifen_db_nested_acquire_total',
      help: 'Connections asked for by code that already held a transaction (a bug; logged with its stack)',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(nestedAcquires.count);
      },
    });
    new Counter({
      name: 'jifen_db_retries_total',
      help: 'Transactions retried after a deadlock (40P01) or a serialization failure (40001); the lock order keeps it at zero',
      labelNames: ['code'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [code, n] of transactionRetries) this.inc({ code }, n);
      },
    });
    this.serverErrors = new Counter({
      name: 'jifen_http_server_errors_total',
      help: 'Answers with a 5xx status by route: 500 is a bug in the service (logged with its request id), 503 the service busy or stopping',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
  }

  private readonly serverErrors: Counter<'method' | 'route' | 'status'>;

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
    if (status >= 500) this.serverErrors.inc({ method, route, status: String(status) });
  }
}

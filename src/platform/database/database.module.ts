import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { detachedOnLane } from './db-context';
import { IdempotencyStore } from '../idempotency/idempotency';
import { IdempotentCommands } from './idempotent-command';
import { lanePoolDriver, LanePoolSettings } from './lane-pool';
import { loadSqlMigrations } from './sql-migrations';
import { UnitOfWork } from './unit-of-work';

/** Every wait of every lane, from the configuration (README, "Configuration"). */
export function laneSettings(config: AppConfig, onNestedAcquire?: (what: string) => void): LanePoolSettings {
  const interactive = { acquireTimeoutMs: config.dbAcquireTimeoutMs, statementTimeoutMs: config.dbStatementTimeoutMs, lockTimeoutMs: config.dbLockTimeoutMs };
  return {
    lanes: {
      request: { max: config.dbPoolSize, ...interactive },
      batch: { max: config.dbBatchPoolSize, ...interactive },
      // Jobs wait longer for a connection and for locks, and run statements as long as they need.
      job: { max: config.dbJobPoolSize, acquireTimeoutMs: config.dbAcquireTimeoutMs * 12, statementTimeoutMs: 0, lockTimeoutMs: config.dbLockTimeoutMs * 12 },
    },
    idleInTransactionTimeoutMs: config.dbIdleTxTimeoutMs,
    nestedAcquire: config.dbNestedAcquire,
    onNestedAcquire,
  };
}

export const nestedAcquires = { count: 0 };

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        type: 'postgres' as const,
        url: config.databaseUrl,
        driver: lanePoolDriver(laneSettings(config, () => nestedAcquires.count++)),
        autoLoadEntities: true,
        synchronize: false,
        migrations: loadSqlMigrations(),
        migrationsRun: config.migrationsRun,
        migrationsTransactionMode: 'each' as const,
        logging: false,
        extra: { application_name: 'jifen' },
      }),
      // Migrations run on the job lane: no statement_timeout cuts a long index build short.
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const started = Date.now();
        const ds = await detachedOnLane('job', () => new DataSource(options!).initialize());
        new Logger('Database').log(`connected and migrated in ${Date.now() - started} ms`);
        return ds;
      },
    }),
  ],
  providers: [UnitOfWork, IdempotentCommands, IdempotencyStore],
  exports: [UnitOfWork, IdempotentCommands, IdempotencyStore],
})
export class DatabaseModule {}

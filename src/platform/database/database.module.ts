import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { loadSqlMigrations } from './sql-migrations';
import { UnitOfWork } from './unit-of-work';
import { IdempotentCommands } from './idempotent-command';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        type: 'postgres' as const,
        url: config.databaseUrl,
        autoLoadEntities: true,
        synchronize: false,
        migrations: loadSqlMigrations(),
        migrationsRun: config.migrationsRun,
        migrationsTransactionMode: 'each' as const,
        logging: false,
        extra: { max: config.dbPoolSize, application_name: 'jifen' },
      }),
    }),
  ],
  providers: [UnitOfWork, IdempotentCommands],
  exports: [UnitOfWork, IdempotentCommands],
})
export class DatabaseModule {}

import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './platform/config/app-config';
import { ConfigModule } from './platform/config/config.module';
import { DatabaseModule } from './platform/database/database.module';
import { JobsModule } from './platform/jobs/background-jobs';
import { IdempotencyInterceptor } from './platform/http/idempotency';
import { ProblemFilter } from './platform/http/problem.filter';
import { LoggingModule } from './platform/observability/logging.module';
import { ClockModule } from './platform/util/clock';
import { ObservabilityModule } from './platform/observability/observability.module';
import { TenancyModule } from './tenancy/tenancy.module';
import { HoldersModule } from './holders/holders.module';
import { LedgerModule } from './ledger/ledger.module';
import { RulesModule } from './rules/rules.module';
import { RecordsModule } from './records/records.module';
import { GoLiveModule } from './golive/golive.module';
import { VillagersModule } from './villagers/villagers.module';
import { VolunteeringModule } from './volunteering/volunteering.module';
import { RedemptionModule } from './redemption/redemption.module';
import { GradesModule } from './grades/grades.module';
import { BanksModule } from './banks/banks.module';
import { BoardsModule } from './boards/boards.module';
import { FundsModule } from './funds/funds.module';
import { SanctionsModule } from './sanctions/sanctions.module';
import { ServiceOrdersModule } from './service-orders/service-orders.module';
import { ConsoleModule } from './console/console.module';
import { ScheduleModule } from '@nestjs/schedule';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        ClockModule,
        DatabaseModule,
        JobsModule,
        ObservabilityModule,
        TenancyModule,
        AuthModule,
        HoldersModule,
        LedgerModule,
        RulesModule,
        RecordsModule,
        GoLiveModule,
        VillagersModule,
        SanctionsModule,
        VolunteeringModule,
        RedemptionModule,
        FundsModule,
        GradesModule,
        BanksModule,
        BoardsModule,
        ServiceOrdersModule,
        ConsoleModule,
        ScheduleModule.forRoot(),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}

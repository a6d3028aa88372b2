import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { HouseholdNoInterceptor } from './household-no.interceptor';
import { TenancyModule } from '../tenancy/tenancy.module';
import { HoldersController } from './holders.controller';
import { HoldersService } from './holders.service';

@Module({
  imports: [TenancyModule],
  providers: [HoldersService, { provide: APP_INTERCEPTOR, useClass: HouseholdNoInterceptor }],
  controllers: [HoldersController],
  exports: [HoldersService],
})
export class HoldersModule {}

import { Module } from '@nestjs/common';
import { HoldersModule } from '../holders/holders.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { AssetsService } from './assets.service';
import './ledger-errors.http';
import { LedgerController } from './ledger.controller';
import { LedgerHooks } from './ledger.hooks';
import { LedgerExpiry } from './ledger.expiry';
import { LedgerService } from './ledger.service';

@Module({
  imports: [TenancyModule, HoldersModule],
  providers: [AssetsService, LedgerService, LedgerHooks, LedgerExpiry],
  controllers: [LedgerController],
  exports: [LedgerService, AssetsService, LedgerExpiry],
})
export class LedgerModule {}

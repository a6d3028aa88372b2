import { AuthModule } from '../auth/auth.module';
import { Module } from '@nestjs/common';
import { HoldersModule } from '../holders/holders.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { AccountDirectory } from './account-directory';
import { AssetsService } from './assets.service';
import { LedgerAdjustments } from './ledger-adjustments.service';
import './ledger-errors.http';
import { LedgerHolds } from './ledger-holds.service';
import { LedgerJobs } from './ledger-jobs';
import { LedgerPosting } from './ledger-posting.service';
import { LedgerQueries } from './ledger-queries.service';
import { LedgerAudit } from './ledger-audit.service';
import { LedgerPublicController } from './ledger-public.controller';
import { LedgerController } from './ledger.controller';
import { LedgerExpiry } from './ledger.expiry';
import { LedgerHooks } from './ledger.hooks';
import { LedgerWriter } from './ledger.writer';
import { LedgerStore } from './persistence/ledger.store';

/**
 * The ledger: the only module that touches its tables. Others move value
 * through LedgerPosting (and LedgerHolds), read through LedgerQueries or the
 * views of its read model, and hear of adjustments through LedgerAdjustments.
 * docs/ledger.md, "Reading and writing the ledger from another module".
 */
@Module({
  imports: [TenancyModule, HoldersModule, AuthModule],
  providers: [
    LedgerStore, AccountDirectory, LedgerWriter, LedgerHooks, LedgerAudit,
    AssetsService, LedgerPosting, LedgerQueries, LedgerHolds, LedgerAdjustments, LedgerExpiry, LedgerJobs,
  ],
  controllers: [LedgerController, LedgerPublicController],
  exports: [AssetsService, LedgerPosting, LedgerQueries, LedgerHolds, LedgerAdjustments, LedgerAudit, LedgerExpiry],
})
export class LedgerModule {}

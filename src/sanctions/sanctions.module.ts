import { Module } from '@nestjs/common';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { RulesModule } from '../rules/rules.module';
import { SanctionsController } from './sanctions.controller';
import { SanctionsJob } from './sanctions.job';
import { SanctionsService } from './sanctions.service';

/**
 * Sanctions (惩戒): a household's benefits suspended while its conduct points
 * break a rule set's sanction rule, lifted when they recover. Records evaluate
 * on posting; the ledger's adjustments and a nightly job evaluate the rest.
 */
@Module({
  imports: [RulesModule, HoldersModule, LedgerModule],
  providers: [SanctionsService, SanctionsJob],
  controllers: [SanctionsController],
  exports: [SanctionsService],
})
export class SanctionsModule {}

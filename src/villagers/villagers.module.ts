import { Module } from '@nestjs/common';
import { EvidenceModule } from '../evidence/evidence.module';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { RecordsModule } from '../records/records.module';
import { RedemptionModule } from '../redemption/redemption.module';
import { RulesModule } from '../rules/rules.module';
import { SanctionsModule } from '../sanctions/sanctions.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { HouseholdPageController } from './household-page.controller';
import { HouseholdPageService } from './household-page.service';

/**
 * The villagers' own page (issue 21): the door card's page, the household's
 * PIN session and its claims. It owns the sessions; it reads through the
 * owners' services (the card and the PIN from holders and redemption's PIN
 * guard, points from the ledger, records and claims from records).
 */
@Module({
  imports: [TenancyModule, HoldersModule, LedgerModule, RulesModule, RecordsModule, RedemptionModule, SanctionsModule, EvidenceModule],
  providers: [HouseholdPageService],
  controllers: [HouseholdPageController],
})
export class VillagersModule {}

import { AuthModule } from '../auth/auth.module';
import { Module } from '@nestjs/common';
import { EvidenceModule } from '../evidence/evidence.module';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { RulesModule } from '../rules/rules.module';
import { SanctionsModule } from '../sanctions/sanctions.module';
import { RecordsController } from './records.controller';
import { OpeningPoints } from './opening-points.service';
import { RecordsImportService } from './records-import.service';
import { RecordsJob } from './records.job';
import { BaseGrantsService } from './base-grants.service';
import { RecordsService } from './records.service';

@Module({
  imports: [AuthModule, RulesModule, HoldersModule, LedgerModule, SanctionsModule, EvidenceModule],
  providers: [RecordsService, RecordsImportService, RecordsJob, OpeningPoints, BaseGrantsService],
  controllers: [RecordsController],
  exports: [RecordsService, OpeningPoints],
})
export class RecordsModule {}

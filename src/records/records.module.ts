import { Module } from '@nestjs/common';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { RulesModule } from '../rules/rules.module';
import { RecordsController } from './records.controller';
import { OpeningPoints } from './enrolment';
import { RecordsImportService } from './records-import';
import { RecordsJob } from './records.job';
import { RecordsService } from './records.service';
import { SanctionsService } from './sanctions.service';

@Module({
  imports: [RulesModule, HoldersModule, LedgerModule],
  providers: [RecordsService, RecordsImportService, RecordsJob, SanctionsService, OpeningPoints],
  controllers: [RecordsController],
  exports: [RecordsService, SanctionsService],
})
export class RecordsModule {}

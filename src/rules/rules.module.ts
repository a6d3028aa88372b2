import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { RuleSetsController } from './rulesets.controller';
import { RuleSetsService } from './rulesets.service';

@Module({
  imports: [TenancyModule, LedgerModule],
  providers: [RuleSetsService],
  controllers: [RuleSetsController],
  exports: [RuleSetsService],
})
export class RulesModule {}

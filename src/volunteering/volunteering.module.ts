import { Module } from '@nestjs/common';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { RulesModule } from '../rules/rules.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { VolunteeringController } from './volunteering.controller';
import { VolunteeringService } from './volunteering.service';

@Module({
  imports: [TenancyModule, HoldersModule, RulesModule, LedgerModule],
  providers: [VolunteeringService],
  controllers: [VolunteeringController],
  exports: [VolunteeringService],
})
export class VolunteeringModule {}

import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { SanctionsModule } from '../sanctions/sanctions.module';
import { RulesModule } from '../rules/rules.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { PinGuardService } from './pin-guard.service';
import { RedemptionController } from './redemption.controller';
import { RedemptionsService } from './redemptions.service';
import { ShopsService } from './shops.service';

@Module({
  imports: [TenancyModule, AuthModule, HoldersModule, LedgerModule, RulesModule, SanctionsModule],
  providers: [ShopsService, PinGuardService, RedemptionsService],
  controllers: [RedemptionController],
  exports: [ShopsService, RedemptionsService, PinGuardService],
})
export class RedemptionModule {}

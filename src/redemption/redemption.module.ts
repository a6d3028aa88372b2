import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { SanctionsModule } from '../sanctions/sanctions.module';
import { RulesModule } from '../rules/rules.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { FundsService } from './funds.service';
import { PinGuardService } from './pin-guard.service';
import { RedemptionController } from './redemption.controller';
import { RedemptionsService } from './redemptions.service';
import { SettlementsService } from './settlements.service';
import { ShopsService } from './shops.service';

@Module({
  imports: [TenancyModule, AuthModule, HoldersModule, LedgerModule, RulesModule, SanctionsModule],
  providers: [FundsService, ShopsService, PinGuardService, RedemptionsService, SettlementsService],
  controllers: [RedemptionController],
  exports: [FundsService, ShopsService, RedemptionsService, SettlementsService],
})
export class RedemptionModule {}

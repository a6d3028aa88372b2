import { Module } from '@nestjs/common';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { RedemptionModule } from '../redemption/redemption.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { FundsController } from './funds.controller';
import { FundsService } from './funds.service';
import { SettlementsService } from './settlements.service';

/**
 * The money behind the points: funds (基金) and their donations, the coverage
 * of the points the shops accept, and the settlement of what shops redeemed.
 * It reads redemption's read model (shop_asset_rates, unsettled_redemptions)
 * and settles through RedemptionsService; redemption never imports it (shops
 * find their fund through the holders directory, where this module registers funds).
 */
@Module({
  imports: [TenancyModule, HoldersModule, LedgerModule, RedemptionModule],
  providers: [FundsService, SettlementsService],
  controllers: [FundsController],
  exports: [FundsService, SettlementsService],
})
export class FundsModule {}

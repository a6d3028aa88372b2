import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { HoldersModule } from '../holders/holders.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { VolunteeringModule } from '../volunteering/volunteering.module';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

@Module({
  imports: [TenancyModule, HoldersModule, VolunteeringModule, LedgerModule],
  providers: [OrdersService],
  controllers: [OrdersController],
  exports: [OrdersService],
})
export class OrdersModule {}

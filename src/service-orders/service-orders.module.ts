import { AuthModule } from '../auth/auth.module';
import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { HoldersModule } from '../holders/holders.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { VolunteeringModule } from '../volunteering/volunteering.module';
import { ServiceOrdersController } from './service-orders.controller';
import { ServiceOrdersService } from './service-orders.service';

@Module({
  imports: [AuthModule, TenancyModule, HoldersModule, VolunteeringModule, LedgerModule],
  providers: [ServiceOrdersService],
  controllers: [ServiceOrdersController],
  exports: [ServiceOrdersService],
})
export class ServiceOrdersModule {}

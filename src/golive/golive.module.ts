import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HoldersModule } from '../holders/holders.module';
import { LedgerModule } from '../ledger/ledger.module';
import { RecordsModule } from '../records/records.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { VolunteeringModule } from '../volunteering/volunteering.module';
import { GoLiveController } from './golive.controller';
import { GoLiveService } from './golive.service';

@Module({
  imports: [AuthModule, HoldersModule, LedgerModule, RecordsModule, TenancyModule, VolunteeringModule],
  providers: [GoLiveService],
  controllers: [GoLiveController],
})
export class GoLiveModule {}

import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { LedgerModule } from '../ledger/ledger.module';
import { GradesController } from './grades.controller';
import { GradesService } from './grades.service';

@Module({
  imports: [TenancyModule, LedgerModule],
  providers: [GradesService],
  controllers: [GradesController],
  exports: [GradesService],
})
export class GradesModule {}

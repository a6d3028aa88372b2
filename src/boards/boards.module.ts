import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { GradesModule } from '../grades/grades.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { BoardsController } from './boards.controller';
import { BoardsService } from './boards.service';

@Module({
  imports: [TenancyModule, GradesModule, LedgerModule],
  providers: [BoardsService],
  controllers: [BoardsController],
})
export class BoardsModule {}

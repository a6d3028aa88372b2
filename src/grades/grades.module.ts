import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { GradesController } from './grades.controller';
import { GradesService } from './grades.service';

@Module({
  imports: [TenancyModule],
  providers: [GradesService],
  controllers: [GradesController],
  exports: [GradesService],
})
export class GradesModule {}

import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { HoldersController } from './holders.controller';
import { HoldersService } from './holders.service';

@Module({
  imports: [TenancyModule],
  providers: [HoldersService],
  controllers: [HoldersController],
  exports: [HoldersService],
})
export class HoldersModule {}

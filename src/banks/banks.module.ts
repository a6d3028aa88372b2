import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { AuthModule } from '../auth/auth.module';
import { HoldersModule } from '../holders/holders.module';
import { BanksController } from './banks.controller';
import { BanksService } from './banks.service';
import { SigningKeyService } from './signing-key.service';

@Module({
  imports: [AuthModule, HoldersModule, LedgerModule],
  providers: [BanksService, SigningKeyService],
  controllers: [BanksController],
  exports: [SigningKeyService],
})
export class BanksModule {}

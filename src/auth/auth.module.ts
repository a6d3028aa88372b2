import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenancyModule } from '../tenancy/tenancy.module';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { ConsoleSessions } from './console-session.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), TenancyModule],
  providers: [ApiKeysService, ConsoleSessions, { provide: APP_GUARD, useClass: AuthGuard }],
  controllers: [ApiKeysController],
  exports: [ApiKeysService, ConsoleSessions],
})
export class AuthModule {}

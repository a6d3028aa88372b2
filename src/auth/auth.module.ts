import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenancyModule } from '../tenancy/tenancy.module';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { ConsoleSessions } from './console-session.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), TenancyModule],
  providers: [ApiKeysService, UsersService, ConsoleSessions, { provide: APP_GUARD, useClass: AuthGuard }],
  controllers: [ApiKeysController, UsersController],
  exports: [ApiKeysService, UsersService, ConsoleSessions],
})
export class AuthModule {}

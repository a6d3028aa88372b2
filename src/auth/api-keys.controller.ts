import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IdempotentRedacting } from '../platform/http/idempotency';
import { IdParam } from '../platform/http/validation';
import { Access, CurrentPrincipal } from './access.decorator';
import { ApiKeyEventsPage, ApiKeyIssued, ApiKeysPage, ApiKeyView, CreateApiKeyDto, ListKeysQuery } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';
import type { Principal } from './principal';

@ApiTags('platform')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Issue a key. The secret is in this response only; it is stored hashed. */
  @Post()
  @HttpCode(201)
  @Access({ platform: true, roles: ['admin'] })
  @IdempotentRedacting('apiKey') // a replay never shows the secret again
  issue(@CurrentPrincipal() p: Principal, @Body() dto: CreateApiKeyDto): Promise<ApiKeyIssued> {
    return this.keys.issue(p, dto);
  }

  /** The tenant's keys, without secrets. */
  @Get()
  @Access({ platform: true, roles: ['admin', 'auditor'] })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListKeysQuery): Promise<ApiKeysPage> {
    return this.keys.list(p, q.tenantId, q);
  }

  /** The log of keys created and revoked (who, when, which role), newest first. */
  @Get('events')
  @Access({ platform: true, roles: ['admin', 'auditor'] })
  events(@CurrentPrincipal() p: Principal, @Query() q: ListKeysQuery): Promise<ApiKeyEventsPage> {
    return this.keys.events(p, q.tenantId, q);
  }

  /** Revoke a key; it stops working at once. */
  @Delete(':id')
  @Access({ platform: true, roles: ['admin'] })
  revoke(@CurrentPrincipal() p: Principal, @Param('id', IdParam) id: string): Promise<ApiKeyView> {
    return this.keys.revoke(p, id);
  }
}

import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal, PlatformOnly } from '../auth/access.decorator';
import type { Principal } from '../auth/principal';
import { PageQuery } from '../platform/http/pagination';
import { CreateRegionDto, CreateTenantDto, ListRegionsQuery, RegionView, TenantView, TenantsPage, RegionsPage } from './tenancy.dto';
import { TenancyService } from './tenancy.service';

@ApiTags('platform')
@Controller('v1')
export class TenancyController {
  constructor(private readonly tenancy: TenancyService) {}

  /** Create a tenant (a county center) and its county region. Platform admin only. */
  @Post('tenants')
  @HttpCode(201)
  @PlatformOnly()
  createTenant(@Body() dto: CreateTenantDto): Promise<TenantView> {
    return this.tenancy.createTenant(dto);
  }

  /** All tenants for the platform admin; a tenant key sees its own. */
  @Get('tenants')
  @Access({ platform: true, roles: ['admin', 'auditor'] })
  listTenants(@CurrentPrincipal() p: Principal, @Query() q: PageQuery): Promise<TenantsPage> {
    return this.tenancy.listTenants(p, q);
  }

  /** Add a township under a county or a village under a township. */
  @Post('regions')
  @HttpCode(201)
  @Access({ platform: true, roles: ['admin'] })
  createRegion(@CurrentPrincipal() p: Principal, @Body() dto: CreateRegionDto): Promise<RegionView> {
    return this.tenancy.createRegion(p, dto);
  }

  /** Regions within the caller's scope (and within `under`, if given). */
  @Get('regions')
  @Access({ platform: true, roles: ['admin', 'auditor', 'clerk', 'reviewer', 'organizer'] })
  listRegions(@CurrentPrincipal() p: Principal, @Query() q: ListRegionsQuery): Promise<RegionsPage> {
    return this.tenancy.listRegions(p, q);
  }
}

import { Injectable } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { DataSource, EntityManager } from 'typeorm';
import { assertRegionInScope, Principal } from '../auth/principal';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { pgCode, PG } from '../platform/database/pg-errors';
import { BadInput, Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { decodeCursor, Page, pageLimit, PageQuery, toPage } from '../platform/http/pagination';
import { CreateRegionDto, CreateTenantDto, ListRegionsQuery, RegionView, TenantView } from './tenancy.dto';
import { RegionEntity, RegionLevel, TenantEntity } from './tenancy.entities';

/** Work other modules do inside the transaction that creates a tenant (default assets, …). */
export type TenantInitializer = (manager: EntityManager, tenant: TenantEntity) => Promise<void>;

const toTenantView = (t: TenantEntity): TenantView => ({ id: t.id, regionCode: t.regionCode, name: t.name });
const toRegionView = (r: RegionEntity): RegionView => ({
  code: r.code,
  name: r.name,
  level: r.level,
  parentCode: r.parentCode,
  tenantId: r.tenantId,
});

@Injectable()
export class TenancyService {
  private readonly initializers: TenantInitializer[] = [];

  constructor(
    private readonly uow: UnitOfWork,
    private readonly dataSource: DataSource,
  ) {}

  onTenantCreated(init: TenantInitializer): void {
    this.initializers.push(init);
  }

  async createTenant(dto: CreateTenantDto): Promise<TenantView> {
    try {
      return await this.uow.run(async (m) => {
        const tenant = m.create(TenantEntity, { id: randomUUID(), regionCode: dto.regionCode, name: dto.name });
        await m.insert(TenantEntity, tenant);
        await m.insert(RegionEntity, {
          tenantId: tenant.id,
          code: dto.regionCode,
          name: dto.name,
          level: 'county',
          parentCode: null,
        });
        for (const init of this.initializers) await init(m, tenant);
        return toTenantView(tenant);
      });
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict(`a tenant for county ${dto.regionCode} already exists`, 'tenant-exists');
      throw e;
    }
  }

  async listTenants(p: Principal, q: PageQuery): Promise<Page<TenantView>> {
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 1);
    const qb = this.dataSource.getRepository(TenantEntity).createQueryBuilder('t').orderBy('t.region_code').limit(limit + 1);
    if (after) qb.andWhere('t.region_code > :after', { after: after[0] });
    if (p.kind === 'key') qb.andWhere('t.id = :tenantId', { tenantId: p.tenantId });
    const rows = await qb.getMany();
    return toPage(rows, limit, (t) => [t.regionCode], toTenantView);
  }

  async getTenant(tenantId: string, m: EntityManager = this.dataSource.manager): Promise<TenantEntity | null> {
    return m.findOneBy(TenantEntity, { id: requireTenant(tenantId) });
  }

  /** The tenant that owns a region code: its county is the code's first six digits. */
  async tenantForRegionCode(code: string): Promise<TenantEntity | null> {
    return this.dataSource.getRepository(TenantEntity).findOneBy({ regionCode: code.slice(0, 6) });
  }

  async findRegion(tenantId: string, code: string, m: EntityManager = this.dataSource.manager): Promise<RegionEntity | null> {
    return m.findOneBy(RegionEntity, { tenantId: requireTenant(tenantId), code });
  }

  /**
   * A region that must exist in the tenant and lie in the caller's scope;
   * otherwise 404, so other villages' regions do not even appear to exist.
   */
  async requireRegion(p: Principal, tenantId: string, code: string, m?: EntityManager): Promise<RegionEntity> {
    const region = await this.findRegion(tenantId, code, m);
    if (!region) throw new NotFound(`region ${code}`);
    assertRegionInScope(p, code, `region ${code}`);
    return region;
  }

  async createRegion(p: Principal, dto: CreateRegionDto): Promise<RegionView> {
    const tenant = p.kind === 'platform' ? await this.tenantForRegionCode(dto.parentCode) : await this.getTenant(p.tenantId);
    if (!tenant) throw new NotFound(`parent region ${dto.parentCode}`);
    const parent = await this.requireRegion(p, tenant.id, dto.parentCode);
    const level: RegionLevel | null = parent.level === 'county' ? 'township' : parent.level === 'township' ? 'village' : null;
    if (!level) throw new Unprocessable(`a village (${parent.code}) has no subregions`, 'region-level');
    const expectedLength = level === 'township' ? 9 : 12;
    if (dto.code.length !== expectedLength || !dto.code.startsWith(parent.code)) {
      throw new Unprocessable(
        `a ${level} code under ${parent.code} has ${expectedLength} digits and starts with ${parent.code}`,
        'region-code-mismatch',
      );
    }
    const region: RegionEntity = Object.assign(new RegionEntity(), {
      tenantId: tenant.id,
      code: dto.code,
      name: dto.name,
      level,
      parentCode: parent.code,
      createdAt: new Date(),
    });
    try {
      await this.dataSource.getRepository(RegionEntity).insert(region);
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict(`region ${dto.code} already exists`, 'region-exists');
      throw e;
    }
    return toRegionView(region);
  }

  async listRegions(p: Principal, q: ListRegionsQuery): Promise<Page<RegionView>> {
    if (p.kind === 'platform' && !q.under) {
      throw new BadInput('the platform admin lists the regions of one tenant', [
        { field: 'under', messages: ['under is required for the platform admin (a county code)'] },
      ]);
    }
    const tenant =
      p.kind === 'key' ? await this.getTenant(p.tenantId) : await this.tenantForRegionCode(q.under ?? '');
    if (!tenant) throw new NotFound('tenant');
    const under = q.under ?? (p.kind === 'key' ? p.scopeRegionCode : tenant.regionCode);
    if (p.kind === 'key' && !under.startsWith(p.scopeRegionCode) && !p.scopeRegionCode.startsWith(under)) {
      throw new NotFound(`region ${under}`);
    }
    // The effective subtree is the narrower of the asked one and the key's scope.
    const prefix = p.kind === 'key' && p.scopeRegionCode.length > under.length ? p.scopeRegionCode : under;
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 1);
    const qb = this.dataSource
      .getRepository(RegionEntity)
      .createQueryBuilder('r')
      .where('r.tenant_id = :tenantId', { tenantId: requireTenant(tenant.id) })
      .andWhere('r.code LIKE :prefix', { prefix: `${prefix}%` })
      .orderBy('r.code')
      .limit(limit + 1);
    if (after) qb.andWhere('r.code > :after', { after: after[0] });
    return toPage(await qb.getMany(), limit, (r) => [r.code], toRegionView);
  }
}

import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'crypto';
import { DataSource } from 'typeorm';
import { TenancyService } from '../tenancy/tenancy.service';
import { requireTenant } from '../platform/database/tenant';
import { sha256 } from '../platform/util/sha256';
import { BadInput, NotFound } from '../platform/http/app-error';
import { decodeCursor, Page, pageLimit, PageQuery, toPage } from '../platform/http/pagination';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyEventView, ApiKeyIssued, ApiKeyView, CreateApiKeyDto } from './api-keys.dto';
import { actorRef, actorView, assertTenant, KeyPrincipal, Principal, Role, TENANT_WIDE_ROLES } from './principal';

/**
 * API keys look like `jf_<32 hex id>_<43 char secret>`. The id finds the row;
 * only SHA-256 of the whole key is stored. The keys carry 256 random bits, so
 * a fast hash is enough (a slow hash is for low-entropy PINs).
 */
const KEY_RE = /^jf_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 10_000;

/** Who acted, as the trails write it. */

const hexToUuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;

const toView = (k: ApiKeyEntity): ApiKeyView => ({
  id: k.id,
  tenantId: k.tenantId,
  name: k.name,
  role: k.role,
  scopeRegionCode: k.scopeRegionCode,
  shopId: k.shopId,
  bankId: k.bankId,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
});

@Injectable()
export class ApiKeysService {
  // Saves a query per request; a revoked key stops working within CACHE_TTL_MS
  // on other instances and at once on this one.
  private readonly cache = new Map<string, { hash: Buffer; principal: KeyPrincipal; until: number }>();

  private readonly ownerChecks = new Map<'shopId' | 'bankId', (tenantId: string, id: string) => Promise<boolean>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenancy: TenancyService,
  ) {}

  /** The shops and banks modules say whether a shopId or bankId names one of theirs in the tenant. */
  registerOwnerCheck(field: 'shopId' | 'bankId', exists: (tenantId: string, id: string) => Promise<boolean>): void {
    this.ownerChecks.set(field, exists);
  }

  /**
   * Checks what a key or a user is about to be granted: the tenant is the
   * caller's, a tenant-wide role covers the whole county, a shopkeeper names a
   * shop of the tenant (and only a shopkeeper), a bank key a bank, and the
   * scope is a region of the tenant inside the caller's own scope.
   */
  async grant(p: Principal, tenantId: string, dto: { role: Role; scopeRegionCode?: string; shopId?: string; bankId?: string }) {
    assertTenant(p, tenantId, `tenant ${tenantId}`);
    const tenant = await this.tenancy.getTenant(tenantId);
    if (!tenant) throw new NotFound(`tenant ${tenantId}`);
    const problems: { field: string; messages: string[] }[] = [];
    const tenantWide = TENANT_WIDE_ROLES.includes(dto.role);
    if (tenantWide && dto.scopeRegionCode && dto.scopeRegionCode !== tenant.regionCode) {
      problems.push({ field: 'scopeRegionCode', messages: [`a ${dto.role} covers the whole tenant; omit scopeRegionCode`] });
    }
    if ((dto.role === 'shopkeeper') !== Boolean(dto.shopId)) {
      problems.push({ field: 'shopId', messages: ['shopId is required for shopkeepers and only for them'] });
    }
    if ((dto.role === 'bank') !== Boolean(dto.bankId)) {
      problems.push({ field: 'bankId', messages: ['bankId is required for bank keys and only for them'] });
    }
    for (const field of ['shopId', 'bankId'] as const) {
      const id = dto[field];
      const exists = this.ownerChecks.get(field);
      if (id && exists && !problems.some((q) => q.field === field) && !(await exists(tenant.id, id))) problems.push({ field, messages: [`no ${field === 'shopId' ? 'shop' : 'bank'} ${id} in this tenant`] });
    }
    if (problems.length) throw new BadInput(`${problems.length} field(s) are invalid`, problems);
    const scope = tenantWide ? tenant.regionCode : (dto.scopeRegionCode ?? tenant.regionCode);
    // The scope must be a region of this tenant, and within the issuer's own scope.
    await this.tenancy.requireRegion(p, tenant.id, scope);
    return { tenant, scope };
  }

  async issue(p: Principal, dto: CreateApiKeyDto): Promise<ApiKeyIssued & { apiKey: string }> {
    const { tenant, scope } = await this.grant(p, dto.tenantId, dto);

    const idHex = randomBytes(16).toString('hex');
    const apiKey = `jf_${idHex}_${randomBytes(32).toString('base64url')}`;
    const row: ApiKeyEntity = Object.assign(new ApiKeyEntity(), {
      id: hexToUuid(idHex),
      tenantId: tenant.id,
      name: dto.name,
      role: dto.role,
      scopeRegionCode: scope,
      shopId: dto.shopId ?? null,
      bankId: dto.bankId ?? null,
      secretHash: sha256(apiKey),
      createdAt: new Date(),
      revokedAt: null,
    });
    await this.dataSource.transaction(async (m) => {
      await m.getRepository(ApiKeyEntity).insert(row);
      await m.query(`INSERT INTO api_key_events (tenant_id, key_id, event, role, actor) VALUES ($1, $2, 'created', $3, $4)`, [row.tenantId, row.id, row.role, actorRef(p)]);
    });
    return { id: row.id, role: row.role, apiKey, tenantId: row.tenantId, name: row.name, scopeRegionCode: scope, shopId: row.shopId, bankId: row.bankId };
  }

  async list(p: Principal, tenantId: string, q: PageQuery): Promise<Page<ApiKeyView>> {
    assertTenant(p, tenantId, `tenant ${tenantId}`);
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 1);
    const qb = this.dataSource
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .where('k.tenant_id = :tenantId', { tenantId: requireTenant(tenantId) })
      .orderBy('k.id')
      .limit(limit + 1);
    if (after) qb.andWhere('k.id > :after', { after: after[0] });
    return toPage(await qb.getMany(), limit, (k) => [k.id], toView);
  }

  async revoke(p: Principal, id: string): Promise<ApiKeyView> {
    const repo = this.dataSource.getRepository(ApiKeyEntity);
    const row = await repo.findOneBy({ id });
    if (!row || (p.kind === 'key' && row.tenantId !== p.tenantId)) throw new NotFound(`api key ${id}`);
    if (!row.revokedAt) {
      // Revoked once, logged once: a second revocation racing this one changes no row and logs nothing.
      await this.dataSource.query(
        `WITH r AS (UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING tenant_id, id, role, revoked_at)
         INSERT INTO api_key_events (tenant_id, key_id, event, role, actor, at) SELECT tenant_id, id, 'revoked', role, $2, revoked_at FROM r`,
        [id, actorRef(p)],
      );
    }
    this.cache.delete(id);
    return toView((await repo.findOneBy({ id }))!);
  }

  /** The tenant's log of keys created and revoked, newest first (append-only in the database). */
  async events(p: Principal, tenantId: string, q: PageQuery): Promise<Page<ApiKeyEventView>> {
    assertTenant(p, tenantId, `tenant ${tenantId}`);
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 1);
    const rows: { seq: string; key_id: string; event: 'created' | 'revoked'; role: string; actor: string; actor_name: string | null; at: Date }[] = await this.dataSource.query(
      `SELECT e.id::text AS seq, e.key_id, e.event, e.role, e.actor, coalesce(u.name, k.name) AS actor_name, e.at FROM api_key_events e
         LEFT JOIN users u ON e.actor = 'user:' || u.id::text
         LEFT JOIN api_keys k ON e.actor = 'key:' || k.id::text
        WHERE e.tenant_id = $1 AND ($2::bigint IS NULL OR e.id < $2::bigint) ORDER BY e.id DESC LIMIT $3`,
      [requireTenant(tenantId), after?.[0] ?? null, limit + 1],
    );
    return toPage(rows, limit, (r) => [r.seq], (r) => ({
      keyId: r.key_id, event: r.event, role: r.role,
      actor: actorView(r.actor, r.actor_name ? new Map([[r.actor, r.actor_name]]) : undefined),
      at: r.at.toISOString(),
    }));
  }

  /** The principal for a presented key, or null when it is unknown or revoked. */
  async verify(presented: string): Promise<KeyPrincipal | null> {
    const m = KEY_RE.exec(presented);
    if (!m) return null;
    const id = hexToUuid(m[1]);
    const hash = sha256(presented);
    const hit = this.cache.get(id);
    if (hit && hit.until > Date.now()) return timingSafeEqual(hit.hash, hash) ? hit.principal : null;
    const row = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id });
    if (!row || row.revokedAt || !timingSafeEqual(row.secretHash, hash)) {
      this.cache.delete(id);
      return null;
    }
    const principal: KeyPrincipal = {
      kind: 'key',
      keyId: row.id,
      tenantId: row.tenantId,
      role: row.role,
      scopeRegionCode: row.scopeRegionCode,
      shopId: row.shopId,
      bankId: row.bankId,
      actor: { type: 'key', id: row.id, name: row.name },
    };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(id, { hash: row.secretHash, principal, until: Date.now() + CACHE_TTL_MS });
    return principal;
  }
}

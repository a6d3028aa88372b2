import { Injectable } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { DataSource, EntityManager } from 'typeorm';
import { assertRegionInScope, Principal } from '../auth/principal';
import { AppConfig } from '../platform/config/app-config';
import { hashPin, maskIdNumber, maskPhone, normaliseIdNumber, PiiCipher, verifyPin } from '../platform/crypto/pii';
import { queryRows } from '../platform/database/query-rows';
import { pgCode, PG } from '../platform/database/pg-errors';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BadInput, Conflict, NotFound } from '../platform/http/app-error';
import { TenancyService } from '../tenancy/tenancy.service';
import { maskName } from '../platform/util/public-page';
import { CreateHouseholdDto, CreatePersonDto, HouseholdView, PersonView } from './holders.dto';

export type HolderType = 'household' | 'person' | 'shop' | 'fund';


export interface HolderInfo {
  type: HolderType;
  id: string;
  regionCode: string;
  /** What the holder is called, where its finder knows it (a fund's name). */
  name?: string;
}

/** Answers "does this holder exist in this tenant, and where?" for other modules. */
export interface HolderLookup {
  find(tenantId: string, type: HolderType, id: string, m?: EntityManager): Promise<HolderInfo | null>;
}

/** `m`: look up through the caller's transaction when it holds one. */
export type HolderFinder = (tenantId: string, id: string, m: EntityManager) => Promise<HolderInfo | null>;

interface PersonRow {
  id: string;
  name: string;
  region_code: string;
  household_id: string | null;
  id_masked: string | null;
  phone_masked: string | null;
}

const toPersonView = (r: PersonRow): PersonView => ({
  id: r.id,
  name: r.name,
  regionCode: r.region_code,
  householdId: r.household_id,
  idNumber: r.id_masked,
  phone: r.phone_masked,
});

@Injectable()
export class HoldersService implements HolderLookup {
  private readonly pii: PiiCipher;
  private readonly finders = new Map<HolderType, HolderFinder>();
  private readonly found = new Map<string, { info: HolderInfo; until: number }>();
  private sanctionsOf: (tenantId: string, householdId: string) => Promise<unknown[]> = async () => [];
  private readonly enrolledListeners: ((m: EntityManager, household: HolderInfo, tenantId: string, actor: string) => Promise<void>)[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenancy: TenancyService,
    private readonly uow: UnitOfWork,
    config: AppConfig,
  ) {
    this.pii = new PiiCipher(config.piiKey);
    this.finders.set('household', async (t, id, m) => {
      const rows = await m.query(`SELECT village_code FROM households WHERE tenant_id = $1 AND id = $2`, [requireTenant(t), id]);
      return rows[0] ? { type: 'household', id, regionCode: rows[0].village_code } : null;
    });
    this.finders.set('person', async (t, id, m) => {
      const rows = await m.query(`SELECT region_code FROM people WHERE tenant_id = $1 AND id = $2`, [requireTenant(t), id]);
      return rows[0] ? { type: 'person', id, regionCode: rows[0].region_code } : null;
    });
  }

  /** Work done in the enrolment transaction of a household (the opening points grant). */
  onEnrolled(listener: (m: EntityManager, household: HolderInfo, tenantId: string, actor: string) => Promise<void>): void {
    this.enrolledListeners.push(listener);
  }

  /** The records module answers "which sanctions are active" for household views. */
  registerSanctions(provider: (tenantId: string, householdId: string) => Promise<unknown[]>): void {
    this.sanctionsOf = provider;
  }

  /** Shops and funds register their own finder when their module starts. */
  registerFinder(type: HolderType, finder: HolderFinder): void {
    this.finders.set(type, finder);
  }

  /**
   * Holders are never deleted and do not change region, so a found holder is
   * cached (bounded, for a minute): postings look up both parties on every call.
   */
  async find(tenantId: string, type: HolderType, id: string, m?: EntityManager): Promise<HolderInfo | null> {
    const key = `${tenantId}|${type}|${id}`;
    const hit = this.found.get(key);
    if (hit && hit.until > Date.now()) return hit.info;
    const finder = this.finders.get(type);
    const info = finder ? await finder(tenantId, id, m ?? this.dataSource.manager) : null;
    // Only what is committed is cached: a holder seen inside a transaction may yet roll back.
    if (info && !m) {
      if (this.found.size >= 100_000) this.found.clear();
      this.found.set(key, { info, until: Date.now() + 60_000 });
    }
    return info;
  }

  /**
   * Many households or people at once (the CSV import looks up a chunk of
   * lines in one query). Reads through the caller's transaction; caches nothing.
   */
  async findMany(tenantId: string, type: 'household' | 'person', ids: string[], m: EntityManager): Promise<Map<string, HolderInfo>> {
    const sql =
      type === 'household'
        ? `SELECT id, village_code AS region_code, head_name AS name FROM households WHERE tenant_id = $1 AND id = ANY($2::uuid[])`
        : `SELECT id, region_code, name FROM people WHERE tenant_id = $1 AND id = ANY($2::uuid[])`;
    const rows: { id: string; region_code: string; name: string }[] = ids.length ? await m.query(sql, [requireTenant(tenantId), [...new Set(ids)]]) : [];
    return new Map(rows.map((r) => [r.id, { type, id: r.id, regionCode: r.region_code, name: r.name }]));
  }

  /** Whether `pin` is this holder's PIN (a slow hash compare); `not-set` when it has none. */
  async checkPin(tenantId: string, type: 'household' | 'person', id: string, pin: string): Promise<'match' | 'mismatch' | 'not-set'> {
    const sql = type === 'household' ? `SELECT pin_hash FROM households WHERE tenant_id = $1 AND id = $2` : `SELECT pin_hash FROM people WHERE tenant_id = $1 AND id = $2`;
    const [row] = await queryRows<{ pin_hash: string | null }>(this.dataSource, sql, [requireTenant(tenantId), id]);
    if (!row?.pin_hash) return 'not-set';
    return (await verifyPin(pin, row.pin_hash)) ? 'match' : 'mismatch';
  }

  /** Sets or changes a holder's PIN (stored as a slow hash). */
  async setPin(tenantId: string, type: 'household' | 'person', id: string, pin: string): Promise<void> {
    const sql = type === 'household' ? `UPDATE households SET pin_hash = $3 WHERE tenant_id = $1 AND id = $2` : `UPDATE people SET pin_hash = $3 WHERE tenant_id = $1 AND id = $2`;
    await this.dataSource.query(sql, [requireTenant(tenantId), id, await hashPin(pin)]);
  }

  private sealIdNumber(raw: string | undefined, field: string) {
    if (raw === undefined) return { cipher: null, lookup: null, masked: null };
    const id = normaliseIdNumber(raw);
    if (!id) throw new BadInput(`${field} is not a valid resident ID number`, [{ field, messages: [`${field} must be 18 characters with a valid check digit`] }]);
    return { cipher: this.pii.encrypt(id), lookup: this.pii.lookup(id), masked: maskIdNumber(id) };
  }

  /** The household whose head has this ID number (by keyed hash), for the bank API. */
  async findHouseholdByIdNumber(tenantId: string, raw: string): Promise<string | null> {
    const id = normaliseIdNumber(raw);
    if (!id) return null;
    const rows = await this.dataSource.query(`SELECT id FROM households WHERE tenant_id = $1 AND head_id_lookup = $2`, [requireTenant(tenantId), this.pii.lookup(id)]);
    return rows[0]?.id ?? null;
  }

  async createHousehold(p: Principal & { kind: 'key' }, dto: CreateHouseholdDto): Promise<HouseholdView> {
    const region = await this.tenancy.requireRegion(p, p.tenantId, dto.villageCode);
    if (region.level !== 'village') throw new BadInput('villageCode must name a village', [{ field: 'villageCode', messages: ['villageCode must be a village'] }]);
    const idn = this.sealIdNumber(dto.headIdNumber, 'headIdNumber');
    const id = randomUUID();
    const pinHash = dto.pin ? await hashPin(dto.pin) : null;
    try {
      await this.uow.run(async (m) => {
        await m.query(
          `INSERT INTO households (tenant_id, id, village_code, head_name, head_id_cipher, head_id_lookup, head_id_masked, phone_cipher, phone_masked, pin_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            p.tenantId, id, dto.villageCode, dto.headName, idn.cipher, idn.lookup, idn.masked,
            dto.phone ? this.pii.encrypt(dto.phone) : null, dto.phone ? maskPhone(dto.phone) : null,
            pinHash,
          ],
        );
        for (const listener of this.enrolledListeners) await listener(m, { type: 'household', id, regionCode: dto.villageCode }, p.tenantId, `key:${p.keyId}`);
      });
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict('a household with this head ID number already exists', 'household-exists');
      throw e;
    }
    return { id, villageCode: dto.villageCode, headName: dto.headName, headIdNumber: idn.masked, phone: dto.phone ? maskPhone(dto.phone) : null, members: [], sanctions: [] };
  }

  /**
   * Households of the key's scope whose head's name contains `q` (or whose id
   * is `q`), for a clerk finding a household at the desk. Names are shown in
   * full to the village's own clerks, reviewers and admins, masked to others.
   */
  async searchHouseholds(p: Principal & { kind: 'key' }, q: string, villageCode?: string) {
    const prefix = villageCode && villageCode.startsWith(p.scopeRegionCode) ? villageCode : p.scopeRegionCode;
    const rows = await this.dataSource.query(
      `SELECT id, village_code, head_name FROM households
        WHERE tenant_id = $1 AND starts_with(village_code, $2) AND (strpos(head_name, $3) > 0 OR id::text = lower($3))
        ORDER BY head_name, id LIMIT 20`,
      [requireTenant(p.tenantId), prefix, q],
    );
    const full = ['admin', 'clerk', 'reviewer'].includes(p.role);
    return { items: rows.map((r: any) => ({ id: r.id, villageCode: r.village_code, headName: full ? r.head_name : maskName(r.head_name) })), nextCursor: null };
  }

  async searchPeople(p: Principal & { kind: 'key' }, q: string, regionCode?: string) {
    const prefix = regionCode && regionCode.startsWith(p.scopeRegionCode) ? regionCode : p.scopeRegionCode;
    const rows: { id: string; region_code: string; name: string }[] = await this.dataSource.query(
      `SELECT id, region_code, name FROM people
        WHERE tenant_id = $1 AND starts_with(region_code, $2) AND (strpos(name, $3) > 0 OR id::text = lower($3))
        ORDER BY name, id LIMIT 20`,
      [requireTenant(p.tenantId), prefix, q],
    );
    const full = ['admin', 'clerk', 'reviewer', 'organizer'].includes(p.role);
    return { items: rows.map((r) => ({ id: r.id, regionCode: r.region_code, name: full ? r.name : maskName(r.name) })), nextCursor: null };
  }

  async getHousehold(p: Principal & { kind: 'key' }, id: string): Promise<HouseholdView> {
    const rows = await this.dataSource.query(
      `SELECT id, village_code, head_name, head_id_masked, phone_masked FROM households WHERE tenant_id = $1 AND id = $2`,
      [requireTenant(p.tenantId), id],
    );
    if (!rows[0]) throw new NotFound(`household ${id}`);
    assertRegionInScope(p, rows[0].village_code, `household ${id}`);
    const members: PersonRow[] = await this.dataSource.query(
      `SELECT id, name, region_code, household_id, id_masked, phone_masked FROM people WHERE tenant_id = $1 AND household_id = $2 ORDER BY created_at, id`,
      [p.tenantId, id],
    );
    return {
      id,
      villageCode: rows[0].village_code,
      headName: rows[0].head_name,
      headIdNumber: rows[0].head_id_masked,
      phone: rows[0].phone_masked,
      members: members.map(toPersonView),
      sanctions: await this.sanctionsOf(p.tenantId, id),
    };
  }

  async createPerson(p: Principal & { kind: 'key' }, dto: CreatePersonDto): Promise<PersonView> {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    if (dto.householdId) {
      const hh = await this.find(p.tenantId, 'household', dto.householdId);
      if (!hh) throw new NotFound(`household ${dto.householdId}`);
      assertRegionInScope(p, hh.regionCode, `household ${dto.householdId}`);
    }
    const idn = this.sealIdNumber(dto.idNumber, 'idNumber');
    const id = randomUUID();
    try {
      await this.dataSource.query(
        `INSERT INTO people (tenant_id, id, name, region_code, household_id, id_cipher, id_lookup, id_masked, phone_cipher, phone_masked, pin_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          p.tenantId, id, dto.name, dto.regionCode, dto.householdId ?? null, idn.cipher, idn.lookup, idn.masked,
          dto.phone ? this.pii.encrypt(dto.phone) : null, dto.phone ? maskPhone(dto.phone) : null,
          dto.pin ? await hashPin(dto.pin) : null,
        ],
      );
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict('a person with this ID number already exists', 'person-exists');
      throw e;
    }
    return { id, name: dto.name, regionCode: dto.regionCode, householdId: dto.householdId ?? null, idNumber: idn.masked, phone: dto.phone ? maskPhone(dto.phone) : null };
  }

  async getPerson(p: Principal & { kind: 'key' }, id: string): Promise<PersonView> {
    const rows: PersonRow[] = await this.dataSource.query(
      `SELECT id, name, region_code, household_id, id_masked, phone_masked FROM people WHERE tenant_id = $1 AND id = $2`,
      [requireTenant(p.tenantId), id],
    );
    if (!rows[0]) throw new NotFound(`person ${id}`);
    assertRegionInScope(p, rows[0].region_code, `person ${id}`);
    return toPersonView(rows[0]);
  }
}

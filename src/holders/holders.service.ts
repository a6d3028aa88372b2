import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'crypto';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, assertRegionInScope, Principal } from '../auth/principal';
import { AppConfig } from '../platform/config/app-config';
import { hashPin, maskIdNumber, maskPhone, normaliseIdNumber, PiiCipher, verifyPin } from '../platform/crypto/pii';
import { queryRows } from '../platform/database/query-rows';
import { updateReturning } from '../platform/database/returning';
import { pgCode, PG } from '../platform/database/pg-errors';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BadInput, Conflict, NotFound } from '../platform/http/app-error';
import { TenancyService } from '../tenancy/tenancy.service';
import { maskName } from '../platform/util/public-page';
import { sha256 } from '../platform/util/sha256';
import { shanghaiToday } from '../platform/util/business-date';
import { CreateHouseholdDto, CreatePersonDto, HouseholdsFoundView, HouseholdView, PeopleFoundView, PersonView, SanctionView } from './holders.dto';

/** 户号: the village's code, a dash, and the sequence in four digits or more. */
export const HOUSEHOLD_NO_RE = /^\d{12}-\d{4,8}$/;
export const formatHouseholdNo = (villageCode: string, seq: number) => `${villageCode}-${String(seq).padStart(4, '0')}`;

/** What a household's door card shows (the head's name masked) and the token its QR code carries. */
export interface DoorCard {
  householdId: string;
  no: string;
  villageCode: string;
  headName: string;
  token: string;
}

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
  enrolled_on: string;
}

const PERSON_COLUMNS = `id, name, region_code, household_id, id_masked, phone_masked, to_char(enrolled_on, 'YYYY-MM-DD') AS enrolled_on`;

/** An enrolment day: given, not in the future; or today. */
function enrolmentDay(given: string | undefined): string {
  const today = shanghaiToday();
  if (given && given > today) throw new BadInput('enrolledOn must not be in the future', [{ field: 'enrolledOn', messages: [`enrolledOn ${given} is after today (${today})`] }]);
  return given ?? today;
}

const toPersonView = (r: PersonRow): PersonView => ({
  id: r.id,
  name: r.name,
  regionCode: r.region_code,
  householdId: r.household_id,
  idNumber: r.id_masked,
  phone: r.phone_masked,
  enrolledOn: r.enrolled_on,
});

@Injectable()
export class HoldersService implements HolderLookup {
  private readonly pii: PiiCipher;
  private readonly finders = new Map<HolderType, HolderFinder>();
  private readonly found = new Map<string, { info: HolderInfo; until: number }>();
  private sanctionsOf: (tenantId: string, householdId: string) => Promise<SanctionView[]> = async () => [];
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

  /**
   * Work done in the enrolment transaction of a household (the opening points
   * grant), for a household enrolled today; one enrolled on a past day is left
   * `opening_pending` for a go-live migration (openingPending).
   */
  onEnrolled(listener: (m: EntityManager, household: HolderInfo, tenantId: string, actor: string) => Promise<void>): void {
    this.enrolledListeners.push(listener);
  }

  /**
   * Households of these villages enrolled on a past day whose opening grant is
   * still pending (a go-live migration posts it on their enrolment day);
   * `lock` when they are about to be granted, so two approvals cannot both.
   */
  async openingPending(m: EntityManager | DataSource, tenantId: string, villages: string[], lock = false): Promise<{ id: string; regionCode: string; enrolledOn: string }[]> {
    if (!villages.length) return [];
    return queryRows(
      m,
      `SELECT id, village_code AS "regionCode", to_char(enrolled_on, 'YYYY-MM-DD') AS "enrolledOn" FROM households
        WHERE tenant_id = $1 AND village_code = ANY($2::varchar[]) AND opening_pending ORDER BY id ${lock ? 'FOR NO KEY UPDATE' : ''}`,
      [requireTenant(tenantId), villages],
    );
  }

  /** Their opening grant is settled (posted on the enrolment day, or carried in a paper opening balance). */
  async openingSettled(m: EntityManager, tenantId: string, ids: string[]): Promise<void> {
    if (ids.length) await m.query(`UPDATE households SET opening_pending = false WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [requireTenant(tenantId), ids]);
  }

  /** The records module answers "which sanctions are active" for household views. */
  registerSanctions(provider: (tenantId: string, householdId: string) => Promise<SanctionView[]>): void {
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
    const enrolledOn = enrolmentDay(dto.enrolledOn);
    // Joined before today: its opening grant belongs on that day, which only a migration may post into.
    const backdated = enrolledOn < shanghaiToday();
    let no = '';
    try {
      await this.uow.run(async (m) => {
        no = await this.nextNumber(m, p.tenantId, dto.villageCode);
        const card = this.newCardToken();
        await m.query(
          `INSERT INTO households (tenant_id, id, village_code, head_name, head_id_cipher, head_id_lookup, head_id_masked, phone_cipher, phone_masked, pin_hash, no, card_token_hash, card_token_cipher,
                                   enrolled_on, opening_pending)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
          [
            p.tenantId, id, dto.villageCode, dto.headName, idn.cipher, idn.lookup, idn.masked,
            dto.phone ? this.pii.encrypt(dto.phone) : null, dto.phone ? maskPhone(dto.phone) : null,
            pinHash, no, card.hash, card.cipher, enrolledOn, backdated,
          ],
        );
        if (!backdated) for (const listener of this.enrolledListeners) await listener(m, { type: 'household', id, regionCode: dto.villageCode }, p.tenantId, actorRef(p));
      });
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict('a household with this head ID number already exists', 'household-exists');
      throw e;
    }
    return { id, no, villageCode: dto.villageCode, headName: dto.headName, headIdNumber: idn.masked, phone: dto.phone ? maskPhone(dto.phone) : null, enrolledOn, members: [], sanctions: [] };
  }

  /**
   * The village's next household number, `<villageCode>-<sequence>`. The
   * counter row is taken in the enrolment's transaction and only grows, so a
   * number is never given twice (a rolled-back enrolment leaves a gap).
   */
  private async nextNumber(m: EntityManager, tenantId: string, villageCode: string): Promise<string> {
    const [row] = await queryRows<{ last_seq: number }>(
      m,
      `INSERT INTO household_counters (tenant_id, village_code, last_seq) VALUES ($1, $2, 1)
       ON CONFLICT (tenant_id, village_code) DO UPDATE SET last_seq = household_counters.last_seq + 1 RETURNING last_seq`,
      [tenantId, villageCode],
    );
    return formatHouseholdNo(villageCode, row.last_seq);
  }

  private newCardToken(): { token: string; hash: Buffer; cipher: Buffer } {
    const token = randomBytes(24).toString('base64url');
    return { token, hash: sha256(token), cipher: this.pii.encrypt(token) };
  }

  /** The household a 户号 names in this tenant, or null. */
  async idOfNumber(tenantId: string, no: string, m?: EntityManager): Promise<string | null> {
    const [row] = await queryRows<{ id: string }>(m ?? this.dataSource, `SELECT id FROM households WHERE tenant_id = $1 AND no = $2`, [requireTenant(tenantId), no]);
    return row?.id ?? null;
  }

  /** Many 户号 at once (the import): number → { id, village, head's name }. */
  async findByNumbers(tenantId: string, nos: string[], m: EntityManager): Promise<Map<string, { id: string; regionCode: string; name: string }>> {
    const rows: { no: string; id: string; village_code: string; head_name: string }[] = nos.length
      ? await m.query(`SELECT no, id, village_code, head_name FROM households WHERE tenant_id = $1 AND no = ANY($2::text[])`, [requireTenant(tenantId), [...new Set(nos)]])
      : [];
    return new Map(rows.map((r) => [r.no, { id: r.id, regionCode: r.village_code, name: r.head_name }]));
  }

  /** Raw ID numbers as given, keyed by the hex of their lookup hash (invalid ones left out). */
  private idLookups(raws: string[]): Map<string, string> {
    const byLookup = new Map<string, string>();
    for (const raw of raws) {
      const n = normaliseIdNumber(raw);
      if (n) byLookup.set(this.pii.lookup(n).toString('hex'), raw);
    }
    return byLookup;
  }

  /** Many heads' ID numbers at once (the import): the raw number as given → the household. */
  async findByIdNumbers(tenantId: string, raws: string[], m: EntityManager): Promise<Map<string, { id: string; regionCode: string; name: string; no: string }>> {
    const byLookup = this.idLookups(raws);
    const rows: { lookup: Buffer; id: string; village_code: string; head_name: string; no: string }[] = byLookup.size
      ? await m.query(
          `SELECT head_id_lookup AS lookup, id, village_code, head_name, no FROM households WHERE tenant_id = $1 AND head_id_lookup = ANY($2::bytea[])`,
          [requireTenant(tenantId), [...byLookup.keys()].map((h) => Buffer.from(h, 'hex'))],
        )
      : [];
    return new Map(rows.map((r) => [byLookup.get(r.lookup.toString('hex'))!, { id: r.id, regionCode: r.village_code, name: r.head_name, no: r.no }]));
  }

  /** People by ID number (a migration's hours): the raw number as given → the person. */
  async findPeopleByIdNumbers(tenantId: string, raws: string[], m: EntityManager): Promise<Map<string, { id: string; regionCode: string; name: string }>> {
    const byLookup = this.idLookups(raws);
    const rows: { lookup: Buffer; id: string; region_code: string; name: string }[] = byLookup.size
      ? await m.query(`SELECT id_lookup AS lookup, id, region_code, name FROM people WHERE tenant_id = $1 AND id_lookup = ANY($2::bytea[])`, [
          requireTenant(tenantId), [...byLookup.keys()].map((h) => Buffer.from(h, 'hex')),
        ])
      : [];
    return new Map(rows.map((r) => [byLookup.get(r.lookup.toString('hex'))!, { id: r.id, regionCode: r.region_code, name: r.name }]));
  }

  /** What a door card shows, for one household or a village's sheet; a card token is given to households that have none. */
  async cards(p: Principal & { kind: 'key' }, filter: { householdId: string } | { villageCode: string }): Promise<DoorCard[]> {
    const rows = await queryRows<{ id: string; no: string; village_code: string; head_name: string; card_token_cipher: Buffer | null }>(
      this.dataSource,
      'householdId' in filter
        ? `SELECT id, no, village_code, head_name, card_token_cipher FROM households WHERE tenant_id = $1 AND id = $2`
        : `SELECT id, no, village_code, head_name, card_token_cipher FROM households WHERE tenant_id = $1 AND village_code = $2 ORDER BY no LIMIT 2000`,
      [requireTenant(p.tenantId), 'householdId' in filter ? filter.householdId : filter.villageCode],
    );
    if ('householdId' in filter) {
      if (!rows[0]) throw new NotFound(`household ${filter.householdId}`);
      assertRegionInScope(p, rows[0].village_code, `household ${filter.householdId}`);
    } else {
      await this.tenancy.requireRegion(p, p.tenantId, filter.villageCode);
    }
    const out: DoorCard[] = [];
    for (const r of rows) {
      const token = r.card_token_cipher ? this.pii.decrypt(r.card_token_cipher) : await this.setCardToken(p.tenantId, r.id, true);
      out.push({ householdId: r.id, no: r.no, villageCode: r.village_code, headName: maskName(r.head_name), token });
    }
    return out;
  }

  /** A village's households by 户号 (the import template lists them), with the village's name; the village must be in the caller's scope. */
  async villageHouseholds(p: Principal & { kind: 'key' }, villageCode: string): Promise<{ villageName: string; households: { no: string; headName: string }[] }> {
    const region = await this.tenancy.requireRegion(p, p.tenantId, villageCode);
    if (region.level !== 'village') throw new BadInput('villageCode must name a village', [{ field: 'villageCode', messages: ['villageCode must be a village'] }]);
    const rows = await queryRows<{ no: string; head_name: string }>(
      this.dataSource,
      `SELECT no, head_name FROM households WHERE tenant_id = $1 AND village_code = $2 ORDER BY no LIMIT 5000`,
      [requireTenant(p.tenantId), villageCode],
    );
    return { villageName: region.name, households: rows.map((r) => ({ no: r.no, headName: r.head_name })) };
  }

  /** POST /v1/households/{id}/card/rotate: a new token; the old QR code finds nothing. */
  async rotateCard(p: Principal & { kind: 'key' }, id: string): Promise<DoorCard> {
    const [card] = await this.cards(p, { householdId: id });
    return { ...card, token: await this.setCardToken(p.tenantId, id, false) };
  }

  private async setCardToken(tenantId: string, id: string, onlyIfNone: boolean): Promise<string> {
    const card = this.newCardToken();
    const [row] = await updateReturning<{ card_token_cipher: Buffer }>(
      this.dataSource,
      `UPDATE households SET card_token_hash = CASE WHEN $4::boolean AND card_token_hash IS NOT NULL THEN card_token_hash ELSE $3 END,
              card_token_cipher = CASE WHEN $4::boolean AND card_token_cipher IS NOT NULL THEN card_token_cipher ELSE $5 END
        WHERE tenant_id = $1 AND id = $2 RETURNING card_token_cipher`,
      [requireTenant(tenantId), id, card.hash, onlyIfNone, card.cipher],
    );
    return this.pii.decrypt(row.card_token_cipher);
  }

  /** The household a door card's token names (any tenant), or null for an unknown or rotated token. */
  async byCardToken(token: string): Promise<{ tenantId: string; id: string; no: string; villageCode: string; headName: string } | null> {
    if (!/^[A-Za-z0-9_-]{32}$/.test(token)) return null;
    const [row] = await queryRows<{ tenant_id: string; id: string; no: string; village_code: string; head_name: string }>(
      this.dataSource,
      `SELECT tenant_id, id, no, village_code, head_name FROM households WHERE card_token_hash = $1`,
      [sha256(token)],
    );
    return row ? { tenantId: row.tenant_id, id: row.id, no: row.no, villageCode: row.village_code, headName: maskName(row.head_name) } : null;
  }

  /** The villages that have households (of one tenant, or all), for jobs that go village by village. */
  async villagesWithHouseholds(tenantId: string | null): Promise<{ tenantId: string; villageCode: string }[]> {
    return queryRows(
      this.dataSource,
      `SELECT DISTINCT tenant_id AS "tenantId", village_code AS "villageCode" FROM households WHERE ($1::uuid IS NULL OR tenant_id = $1) ORDER BY 1, 2`,
      [tenantId],
    );
  }

  /** A page of a village's households enrolled on or before `day`, by id after `afterId`. */
  async enrolledBy(tenantId: string, villageCode: string, day: string, afterId: string, limit: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      `SELECT id FROM households WHERE tenant_id = $1 AND village_code = $2 AND enrolled_on <= $3::date AND id > $4::uuid ORDER BY id LIMIT $5`,
      [requireTenant(tenantId), villageCode, day, afterId, limit],
    );
    return rows.map((r) => r.id);
  }

  /** How many households a village has (the household page's "共 300 户"). */
  async countInVillage(tenantId: string, villageCode: string): Promise<number> {
    const [row] = await queryRows<{ n: number }>(this.dataSource, `SELECT count(*)::int AS n FROM households WHERE tenant_id = $1 AND village_code = $2`, [requireTenant(tenantId), villageCode]);
    return row.n;
  }

  /**
   * Households of the key's scope whose head's name contains `q` (or whose id
   * is `q`), for a clerk finding a household at the desk. Names are shown in
   * full to the village's own clerks, reviewers and admins, masked to others.
   */
  async searchHouseholds(p: Principal & { kind: 'key' }, q: { q?: string; no?: string; villageCode?: string }): Promise<HouseholdsFoundView> {
    if (!q.q && !q.no) throw new BadInput('give q (the head\'s name or a 户号) or no', [{ field: 'q', messages: ['q or no is required'] }]);
    const prefix = q.villageCode && q.villageCode.startsWith(p.scopeRegionCode) ? q.villageCode : p.scopeRegionCode;
    // A number typed at the desk may be the whole 户号 or its last digits ("23" finds 500154101001-0023 in the clerk's village).
    const rows = await this.dataSource.query(
      q.no
        ? `SELECT id, no, village_code, head_name FROM households WHERE tenant_id = $1 AND starts_with(village_code, $2) AND no = $3`
        : `SELECT id, no, village_code, head_name FROM households
            WHERE tenant_id = $1 AND starts_with(village_code, $2)
              AND (strpos(head_name, $3) > 0 OR id::text = lower($3) OR no = $3
                   OR ($3 ~ '^[0-9]{1,8}$' AND ltrim(split_part(no, '-', 2), '0') = ltrim($3, '0')))
            ORDER BY (no = $3) DESC, head_name, no LIMIT 20`,
      [requireTenant(p.tenantId), prefix, q.no ?? q.q],
    );
    const full = ['admin', 'clerk', 'reviewer'].includes(p.role);
    return { items: rows.map((r: any) => ({ id: r.id, no: r.no, villageCode: r.village_code, headName: full ? r.head_name : maskName(r.head_name) })), nextCursor: null };
  }

  async searchPeople(p: Principal & { kind: 'key' }, q: string, regionCode?: string): Promise<PeopleFoundView> {
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
      `SELECT id, no, village_code, head_name, head_id_masked, phone_masked, to_char(enrolled_on, 'YYYY-MM-DD') AS enrolled_on FROM households WHERE tenant_id = $1 AND id = $2`,
      [requireTenant(p.tenantId), id],
    );
    if (!rows[0]) throw new NotFound(`household ${id}`);
    assertRegionInScope(p, rows[0].village_code, `household ${id}`);
    const members: PersonRow[] = await this.dataSource.query(
      `SELECT ${PERSON_COLUMNS} FROM people WHERE tenant_id = $1 AND household_id = $2 ORDER BY created_at, id`,
      [p.tenantId, id],
    );
    return {
      id,
      no: rows[0].no,
      villageCode: rows[0].village_code,
      headName: rows[0].head_name,
      headIdNumber: rows[0].head_id_masked,
      phone: rows[0].phone_masked,
      enrolledOn: rows[0].enrolled_on,
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
    const enrolledOn = enrolmentDay(dto.enrolledOn);
    const id = randomUUID();
    try {
      await this.dataSource.query(
        `INSERT INTO people (tenant_id, id, name, region_code, household_id, id_cipher, id_lookup, id_masked, phone_cipher, phone_masked, pin_hash, enrolled_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          p.tenantId, id, dto.name, dto.regionCode, dto.householdId ?? null, idn.cipher, idn.lookup, idn.masked,
          dto.phone ? this.pii.encrypt(dto.phone) : null, dto.phone ? maskPhone(dto.phone) : null,
          dto.pin ? await hashPin(dto.pin) : null, enrolledOn,
        ],
      );
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict('a person with this ID number already exists', 'person-exists');
      throw e;
    }
    return { id, name: dto.name, regionCode: dto.regionCode, householdId: dto.householdId ?? null, idNumber: idn.masked, phone: dto.phone ? maskPhone(dto.phone) : null, enrolledOn };
  }

  async getPerson(p: Principal & { kind: 'key' }, id: string): Promise<PersonView> {
    const rows: PersonRow[] = await this.dataSource.query(
      `SELECT ${PERSON_COLUMNS} FROM people WHERE tenant_id = $1 AND id = $2`,
      [requireTenant(p.tenantId), id],
    );
    if (!rows[0]) throw new NotFound(`person ${id}`);
    assertRegionInScope(p, rows[0].region_code, `person ${id}`);
    return toPersonView(rows[0]);
  }
}

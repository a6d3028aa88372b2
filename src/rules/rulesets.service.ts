import { Injectable } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { assertRegionInScope, KeyPrincipal } from '../auth/principal';
import { AssetsService } from '../ledger/assets.service';
import { requireTenant } from '../platform/database/tenant';
import { shanghaiToday } from '../platform/util/business-date';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BadInput, Conflict, FieldProblem, NotFound, Unprocessable } from '../platform/http/app-error';
import { decodeCursor, Page, pageLimit, toPage } from '../platform/http/pagination';
import { TenancyService } from '../tenancy/tenancy.service';
import { effectiveItems, RuleItem } from './domain/rules';
import { ApplicableQuery, CreateRuleSetDto, ListRuleSetsQuery, RuleSetView, SanctionRuleDto } from './rulesets.dto';

interface RuleSetRow {
  id: string;
  region_code: string;
  asset_code: string;
  name: string;
  version: number;
  status: 'draft' | 'active' | 'retired';
  effective_from: string;
  effective_to: string | null;
  extends_id: string | null;
  adopted_by: string | null;
  document: { items: RuleItem[]; sanctions: SanctionRuleDto[]; openingPoints: string | null; redeemFloor: string | null; baseGrant?: { points: string; period: 'month' } | null };
  created_at: Date;
  activated_at: Date | null;
}

export { RuleSetView };

const COLUMNS = `id, region_code, asset_code, name, version, status, to_char(effective_from, 'YYYY-MM-DD') AS effective_from,
  to_char(effective_to, 'YYYY-MM-DD') AS effective_to, extends_id, adopted_by, document, created_at, activated_at`;

const toView = (r: RuleSetRow): RuleSetView => ({
  id: r.id,
  regionCode: r.region_code,
  asset: r.asset_code,
  name: r.name,
  version: r.version,
  status: r.status,
  effectiveFrom: r.effective_from,
  effectiveTo: r.effective_to,
  extends: r.extends_id,
  adoptedBy: r.adopted_by,
  items: r.document.items,
  sanctions: r.document.sanctions,
  openingPoints: r.document.openingPoints,
  baseGrant: r.document.baseGrant ?? null,
  redeemFloor: r.document.redeemFloor,
  createdAt: r.created_at.toISOString(),
  activatedAt: r.activated_at ? r.activated_at.toISOString() : null,
});

/** Today in Asia/Shanghai, as YYYY-MM-DD. */
export { shanghaiToday };

/** Sets visible to a key: in its scope, or above it (a village clerk reads its county's set). */
const visible = (p: KeyPrincipal, regionCode: string) => regionCode.startsWith(p.scopeRegionCode) || p.scopeRegionCode.startsWith(regionCode);

@Injectable()
export class RuleSetsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly tenancy: TenancyService,
    private readonly assets: AssetsService,
  ) {}

  private async row(tenantId: string, id: string, m: EntityManager = this.dataSource.manager, lock = false): Promise<RuleSetRow | null> {
    const [r] = await m.query(`SELECT ${COLUMNS} FROM rule_sets WHERE tenant_id = $1 AND id = $2 ${lock ? 'FOR NO KEY UPDATE' : ''}`, [requireTenant(tenantId), id]);
    return r ?? null;
  }

  private async visibleRow(p: KeyPrincipal, id: string): Promise<RuleSetRow> {
    const r = await this.row(p.tenantId, id);
    if (!r || !visible(p, r.region_code)) throw new NotFound(`rule set ${id}`);
    return r;
  }

  /** Validates what class-validator cannot: the asset, scales, unique codes, the parent set. Every problem at once. */
  private async check(p: KeyPrincipal, dto: CreateRuleSetDto): Promise<void> {
    const problems: FieldProblem[] = [];
    const add = (field: string, message: string) => problems.push({ field, messages: [message] });
    const asset = (await this.assets.list(p.tenantId)).find((a) => a.code === dto.asset);
    if (!asset) add('asset', `asset ${dto.asset} does not exist in this tenant`);
    const scale = asset?.scale ?? 6;
    const scaleOk = (v: string | undefined) => v === undefined || new Decimal(v).decimalPlaces() <= scale;
    const seen = new Map<string, number>();
    dto.items.forEach((item, i) => {
      if (seen.has(item.code)) add(`items[${i}].code`, `code ${item.code} is already used by items[${seen.get(item.code)}]`);
      seen.set(item.code, i);
      if (new Decimal(item.points).isZero()) add(`items[${i}].points`, 'points must be greater than zero');
      if (!scaleOk(item.points)) add(`items[${i}].points`, `at most ${scale} decimal places for ${dto.asset}`);
      item.caps?.forEach((cap, j) => {
        if (cap.maxPoints === undefined && cap.maxCount === undefined) add(`items[${i}].caps[${j}]`, 'a cap needs maxPoints or maxCount');
        if (!scaleOk(cap.maxPoints)) add(`items[${i}].caps[${j}].maxPoints`, `at most ${scale} decimal places`);
      });
      const periods = (item.caps ?? []).map((c) => c.period);
      if (new Set(periods).size !== periods.length) add(`items[${i}].caps`, 'one cap per period');
    });
    const sanctionCodes = new Set<string>();
    dto.sanctions?.forEach((s, i) => {
      if (sanctionCodes.has(s.code)) add(`sanctions[${i}].code`, `code ${s.code} is used twice`);
      sanctionCodes.add(s.code);
      const byDeduction = s.when.deductedAtLeast !== undefined || s.when.windowDays !== undefined;
      if (byDeduction && s.when.balanceBelow !== undefined) {
        add(`sanctions[${i}].when`, 'when is either { deductedAtLeast, windowDays } or { balanceBelow }, not both');
      }
    });
    if (!scaleOk(dto.openingPoints)) add('openingPoints', `at most ${scale} decimal places`);
    if (dto.baseGrant && !scaleOk(dto.baseGrant.points)) add('baseGrant.points', `at most ${scale} decimal places`);
    if (!scaleOk(dto.redeemFloor)) add('redeemFloor', `at most ${scale} decimal places`);
    if (!dto.items.length && !dto.extends) add('items', 'a rule set without a parent (extends) needs at least one item');
    if (dto.extends) {
      const parent = await this.row(p.tenantId, dto.extends);
      if (!parent) add('extends', `rule set ${dto.extends} not found`);
      else {
        if (parent.asset_code !== dto.asset) add('extends', `the parent set is for ${parent.asset_code}, not ${dto.asset}`);
        if (parent.region_code === dto.regionCode || !dto.regionCode.startsWith(parent.region_code)) {
          add('extends', 'a set extends the set of a region above its own (the township or county)');
        }
      }
    }
    if (problems.length) throw new BadInput(`${problems.length} problem(s) in the rule set`, problems);
  }

  async create(p: KeyPrincipal, dto: CreateRuleSetDto): Promise<RuleSetView> {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    await this.check(p, dto);
    const document = {
      items: dto.items.map((i) => ({ ...i, noticeDays: i.noticeDays ?? 7 })),
      sanctions: dto.sanctions ?? [],
      openingPoints: dto.openingPoints ?? null,
      baseGrant: dto.baseGrant ?? null,
      redeemFloor: dto.redeemFloor ?? null,
    };
    const id = randomUUID();
    return this.uow.run(async (m) => {
      // Versions count per region and asset; the lock keeps two drafts from taking one number.
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`jifen.ruleset.${p.tenantId}.${dto.regionCode}.${dto.asset}`]);
      const [{ next }] = await m.query(
        `SELECT COALESCE(max(version), 0) + 1 AS next FROM rule_sets WHERE tenant_id = $1 AND region_code = $2 AND asset_code = $3`,
        [p.tenantId, dto.regionCode, dto.asset],
      );
      await m.query(
        `INSERT INTO rule_sets (tenant_id, id, region_code, asset_code, name, version, status, effective_from, extends_id, adopted_by, document)
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $10)`,
        [p.tenantId, id, dto.regionCode, dto.asset, dto.name, next, dto.effectiveFrom, dto.extends ?? null, dto.adoptedBy ?? null, JSON.stringify(document)],
      );
      return toView((await this.row(p.tenantId, id, m))!);
    });
  }

  /**
   * Activates a draft. The set active for the same region and asset is retired
   * from this set's effectiveFrom (it stays the applicable set before that date).
   */
  async activate(p: KeyPrincipal, id: string): Promise<RuleSetView> {
    await this.visibleRow(p, id);
    return this.uow.run(async (m) => {
      const set = (await this.row(p.tenantId, id, m, true))!;
      assertRegionInScope(p, set.region_code, `rule set ${id}`);
      if (set.status !== 'draft') throw new Conflict(`rule set ${id} is already ${set.status}`, 'ruleset-not-draft');
      if (set.extends_id) {
        const parent = await this.row(p.tenantId, set.extends_id, m);
        if (parent?.status === 'draft') throw new Unprocessable('activate the parent set first', 'ruleset-parent-draft');
      }
      const [previous]: RuleSetRow[] = await m.query(
        `SELECT ${COLUMNS} FROM rule_sets WHERE tenant_id = $1 AND region_code = $2 AND asset_code = $3 AND status = 'active' FOR NO KEY UPDATE`,
        [p.tenantId, set.region_code, set.asset_code],
      );
      if (previous) {
        if (previous.effective_from >= set.effective_from) {
          throw new Unprocessable(
            `the active version ${previous.version} is in effect from ${previous.effective_from}; this set must start later`,
            'ruleset-starts-too-early',
          );
        }
        await m.query(`UPDATE rule_sets SET status = 'retired', effective_to = $3 WHERE tenant_id = $1 AND id = $2`, [p.tenantId, previous.id, set.effective_from]);
      }
      await m.query(`UPDATE rule_sets SET status = 'active', activated_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]);
      return toView((await this.row(p.tenantId, id, m))!);
    });
  }

  async get(p: KeyPrincipal, id: string): Promise<RuleSetView> {
    const r = await this.visibleRow(p, id);
    return { ...toView(r), effectiveItems: await this.itemsOf(p.tenantId, r) };
  }

  async list(p: KeyPrincipal, q: ListRuleSetsQuery): Promise<Page<RuleSetView>> {
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 2);
    // created_at as text keeps its microseconds, so the cursor is exact.
    const rows: (RuleSetRow & { created_key: string })[] = await this.dataSource.query(
      `SELECT ${COLUMNS}, created_at::text AS created_key FROM rule_sets
        WHERE tenant_id = $1
          AND ($2::varchar IS NULL OR region_code = $2)
          AND ($3::varchar IS NULL OR asset_code = $3)
          AND (starts_with(region_code, $4) OR starts_with($4, region_code))
          AND ($5::timestamptz IS NULL OR (created_at, id) < ($5::timestamptz, $6::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $7`,
      [requireTenant(p.tenantId), q.regionCode ?? null, q.asset ?? null, p.scopeRegionCode, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    return toPage(rows, limit, (r) => [r.created_key, r.id], toView);
  }

  /** Items after inheritance: the parent chain's, overridden or added to by each child. */
  private async itemsOf(tenantId: string, r: RuleSetRow): Promise<RuleItem[]> {
    const chain: RuleItem[][] = [r.document.items];
    for (let parentId = r.extends_id, depth = 0; parentId && depth < 5; depth++) {
      const parent = await this.row(tenantId, parentId);
      if (!parent) break;
      chain.unshift(parent.document.items);
      parentId = parent.extends_id;
    }
    return effectiveItems(chain);
  }

  /** The most specific set (village, then township, then county) in effect for a village on a date. */
  async applicable(p: KeyPrincipal, q: ApplicableQuery): Promise<RuleSetView> {
    assertRegionInScope(p, q.villageCode, `village ${q.villageCode}`);
    const date = q.date ?? shanghaiToday();
    const found = await this.applicableFor(p.tenantId, q.villageCode, q.asset, date);
    if (!found) throw new NotFound(`a ${q.asset} rule set in effect for ${q.villageCode} on ${date}`);
    return found;
  }

  /** As `applicable`, for other modules: null when no set is in effect. */
  async applicableFor(tenantId: string, regionCode: string, asset: string, date: string, m: EntityManager = this.dataSource.manager): Promise<RuleSetView | null> {
    const [r]: RuleSetRow[] = await m.query(
      `SELECT ${COLUMNS} FROM rule_sets
        WHERE tenant_id = $1 AND asset_code = $2 AND status <> 'draft'
          AND region_code IN ($3::varchar, left($3::varchar, 9), left($3::varchar, 6))
          AND effective_from <= $4::date AND (effective_to IS NULL OR effective_to > $4::date)
        ORDER BY length(region_code) DESC, version DESC LIMIT 1`,
      [requireTenant(tenantId), asset, regionCode, date],
    );
    if (!r) return null;
    return { ...toView(r), effectiveItems: await this.itemsOf(tenantId, r) };
  }
}

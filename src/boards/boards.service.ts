import { Injectable } from '@nestjs/common';
import { LedgerAudit } from '../ledger/ledger-audit.service';
import { AssetsService } from '../ledger/assets.service';
import { LedgerQueries } from '../ledger/ledger-queries.service';
import { queryRows } from '../platform/database/query-rows';
import { randomUUID } from 'crypto';
import { PublicBoardView } from './boards.dto';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, KeyPrincipal, listScope, regionRelated } from '../auth/principal';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BadInput, Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { maskName } from '../platform/util/public-page';
import { shanghaiToday } from '../rules/rulesets.service';
import { TenancyService } from '../tenancy/tenancy.service';

export const DEFAULT_RED_SIZE = 10;

/** "2026-10" or "2026-Q4" → the days it covers ([from, to)) and how a villager reads it. */
export function parsePeriod(period: string): { from: string; to: string; label: string } | null {
  const month = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  const quarter = /^(\d{4})-Q([1-4])$/.exec(period);
  const iso = (y: number, m: number) => new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  if (month) {
    const [y, m] = [Number(month[1]), Number(month[2])];
    return { from: iso(y, m - 1), to: iso(y, m), label: `${y}年${m}月` };
  }
  if (quarter) {
    const [y, q] = [Number(quarter[1]), Number(quarter[2])];
    return { from: iso(y, (q - 1) * 3), to: iso(y, q * 3), label: `${y}年第${'一二三四'[q - 1]}季度` };
  }
  return null;
}

interface RedLine {
  rank: number;
  householdId: string;
  name: string;
  net: string;
  credits: string;
  debitItems: number;
}

interface BlackLine {
  householdId: string;
  name: string;
  items: { ruleCode: string; ruleName: string; points: string; occurredOn: string }[];
  sanctions: { code: string; benefitCodes: string[] }[];
}

interface BoardRow {
  id: string;
  village_code: string;
  period: string;
  status: 'draft' | 'published';
  red: RedLine[];
  black: BlackLine[];
  created_at: Date;
  published_at: Date | null;
}

const view = (b: BoardRow) => ({
  id: b.id,
  villageCode: b.village_code,
  period: b.period,
  status: b.status,
  red: b.red,
  black: b.black,
  createdAt: b.created_at.toISOString(),
  publishedAt: b.published_at?.toISOString() ?? null,
});

/**
 * The red and black boards (红黑榜) of a village for a month or quarter. The
 * content is computed and stored when the draft is made, so publishing freezes
 * exactly what was reviewed: records voided later do not change a published
 * board, and the database refuses any change to it.
 */
/** Boards rank households by their conduct points (红黄榜). */
const BOARD_ASSET = 'CONDUCT';

@Injectable()
export class BoardsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly tenancy: TenancyService,
    private readonly assets: AssetsService,
    private readonly audit: LedgerAudit,
    private readonly ledger: LedgerQueries,
  ) {}

  async compute(p: KeyPrincipal, villageCode: string, period: string, size = DEFAULT_RED_SIZE) {
    const region = await this.tenancy.requireRegion(p, p.tenantId, villageCode);
    if (region.level !== 'village') throw new Unprocessable(`${villageCode} is a ${region.level}; boards are per village`, 'not-a-village');
    const span = parsePeriod(period);
    if (!span) throw new BadInput('period is not valid', [{ field: 'period', messages: ['period must be a month (2026-10) or a quarter (2026-Q4)'] }]);
    if (span.from > shanghaiToday()) throw new Unprocessable(`period ${period} has not started`, 'future-period');
    return this.uow.run(async (m) => {
      const [existing] = await m.query(`SELECT id, status FROM boards WHERE tenant_id = $1 AND village_code = $2 AND period = $3 FOR NO KEY UPDATE`, [p.tenantId, villageCode, period]);
      if (existing?.status === 'published') throw new Conflict(`the ${period} board of ${villageCode} is published and cannot change`, 'board-published');
      const totals: any[] = await m.query(
        `SELECT r.holder_id::text AS household_id, h.head_name,
                sum(CASE WHEN r.direction = 'credit' THEN r.points ELSE -r.points END)::text AS net,
                COALESCE(sum(r.points) FILTER (WHERE r.direction = 'credit'), 0)::text AS credits,
                count(*) FILTER (WHERE r.direction = 'debit')::int AS debit_items,
                max(r.occurred_on) AS last_on, max(r.created_at) AS last_at
           FROM records r JOIN households h ON h.tenant_id = r.tenant_id AND h.id = r.holder_id
          WHERE r.tenant_id = $1 AND r.region_code = $2 AND r.holder_type = 'household' AND r.asset_code = 'CONDUCT' AND r.status = 'posted'
            AND r.occurred_on >= $3::date AND r.occurred_on < $4::date
          GROUP BY r.holder_id, h.head_name
         HAVING sum(CASE WHEN r.direction = 'credit' THEN r.points ELSE -r.points END) > 0
          ORDER BY sum(CASE WHEN r.direction = 'credit' THEN r.points ELSE -r.points END) DESC, debit_items ASC, last_on ASC, last_at ASC, r.holder_id
          LIMIT $5`,
        [p.tenantId, villageCode, span.from, span.to, size],
      );
      const amounts = await this.assets.amounts(p.tenantId, m);
      const points = (v: string) => amounts.format(v, BOARD_ASSET);
      const red: RedLine[] = totals.map((t, i) => ({
        rank: i + 1,
        householdId: t.household_id,
        name: t.head_name,
        net: points(t.net),
        credits: points(t.credits),
        debitItems: t.debit_items,
      }));
      const debits: any[] = await m.query(
        `SELECT r.holder_id::text AS household_id, h.head_name, r.rule_code, r.rule_name, r.points::text AS points, to_char(r.occurred_on, 'YYYY-MM-DD') AS occurred_on
           FROM records r JOIN households h ON h.tenant_id = r.tenant_id AND h.id = r.holder_id
          WHERE r.tenant_id = $1 AND r.region_code = $2 AND r.holder_type = 'household' AND r.asset_code = 'CONDUCT' AND r.status = 'posted'
            AND r.direction = 'debit' AND r.occurred_on >= $3::date AND r.occurred_on < $4::date
          ORDER BY h.head_name, r.holder_id, r.occurred_on, r.id`,
        [p.tenantId, villageCode, span.from, span.to],
      );
      const sanctioned: any[] = await m.query(
        `SELECT s.household_id::text AS household_id, h.head_name, s.code, s.benefit_codes
           FROM sanctions s JOIN households h ON h.tenant_id = s.tenant_id AND h.id = s.household_id
          WHERE s.tenant_id = $1 AND h.village_code = $2 AND s.status = 'active' ORDER BY h.head_name, s.household_id, s.code`,
        [p.tenantId, villageCode],
      );
      const black = new Map<string, BlackLine>();
      const line = (id: string, name: string) => black.get(id) ?? black.set(id, { householdId: id, name, items: [], sanctions: [] }).get(id)!;
      for (const d of debits) line(d.household_id, d.head_name).items.push({ ruleCode: d.rule_code, ruleName: d.rule_name, points: points(d.points), occurredOn: d.occurred_on });
      for (const s of sanctioned) line(s.household_id, s.head_name).sanctions.push({ code: s.code, benefitCodes: s.benefit_codes });
      const blackList = [...black.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.householdId < b.householdId ? -1 : 1));
      const id = existing?.id ?? randomUUID();
      if (existing) await m.query(`UPDATE boards SET red = $3, black = $4, created_at = now(), created_by = $5 WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id, JSON.stringify(red), JSON.stringify(blackList), actorRef(p)]);
      else {
        await m.query(`INSERT INTO boards (tenant_id, id, village_code, period, status, red, black, created_by) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7)`, [
          p.tenantId, id, villageCode, period, JSON.stringify(red), JSON.stringify(blackList), actorRef(p),
        ]);
      }
      return view((await m.query(`SELECT * FROM boards WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]))[0]);
    });
  }

  private async board(p: KeyPrincipal, id: string, lock = false): Promise<BoardRow> {
    const [b]: BoardRow[] = await this.dataSource.query(`SELECT * FROM boards WHERE tenant_id = $1 AND id = $2 ${lock ? 'FOR NO KEY UPDATE' : ''}`, [requireTenant(p.tenantId), id]);
    if (!b || !regionRelated(p, b.village_code)) throw new NotFound(`board ${id}`);
    return b;
  }

  async get(p: KeyPrincipal, id: string) {
    return view(await this.board(p, id));
  }

  async list(p: KeyPrincipal, villageCode?: string) {
    const rows: BoardRow[] = await this.dataSource.query(
      `SELECT * FROM boards WHERE tenant_id = $1 AND starts_with(village_code, $2) ORDER BY period DESC, village_code LIMIT 200`,
      [requireTenant(p.tenantId), listScope(p, villageCode)],
    );
    return { items: rows.map(view), nextCursor: null };
  }

  async publish(p: KeyPrincipal, id: string) {
    const publishable = async (m: EntityManager, lock: boolean) => {
      const [b]: BoardRow[] = await m.query(`SELECT * FROM boards WHERE tenant_id = $1 AND id = $2 ${lock ? 'FOR NO KEY UPDATE' : ''}`, [requireTenant(p.tenantId), id]);
      if (!b || !b.village_code.startsWith(p.scopeRegionCode)) throw new NotFound(`board ${id}`);
      if (b.status === 'published') throw new Conflict(`board ${id} is already published`, 'board-published');
      return b;
    };
    // Refused before anything is written; then sealed, so that the anchor printed on the board covers everything posted before it.
    await publishable(this.dataSource.manager, false);
    await this.audit.sealForPublication(p.tenantId);
    return this.uow.run(async (m) => {
      const b = await publishable(m, true);
      await m.query(`UPDATE boards SET status = 'published', published_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]);
      const ledgerAnchor = await this.audit.anchor(m, p.tenantId, { type: 'board', id, regionCode: b.village_code });
      return { ...view((await m.query(`SELECT * FROM boards WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]))[0]), ledgerAnchor };
    });
  }

  /** The published board as the public sees it: masked names, no ids. Null if there is none. */
  async publicBoard(villageCode: string, period: string): Promise<PublicBoardView | null> {
    const tenant = await this.tenancy.tenantForRegionCode(villageCode);
    if (!tenant || !parsePeriod(period)) return null;
    const [b]: (BoardRow & { village_name: string })[] = await this.dataSource.query(
      `SELECT b.*, r.name AS village_name FROM boards b JOIN regions r ON r.tenant_id = b.tenant_id AND r.code = b.village_code
        WHERE b.tenant_id = $1 AND b.village_code = $2 AND b.period = $3 AND b.status = 'published'`,
      [tenant.id, villageCode, period],
    );
    if (!b) return null;
    return {
      villageCode,
      villageName: b.village_name,
      period,
      periodLabel: parsePeriod(period)!.label,
      publishedAt: b.published_at!.toISOString(),
      ledgerAnchor: await this.audit.anchorOf(tenant.id, 'board', b.id),
      red: b.red.map((r) => ({ rank: r.rank, name: maskName(r.name), net: r.net })),
      black: b.black.map((l) => ({
        name: maskName(l.name),
        items: l.items.map((i) => ({ ruleName: i.ruleName, points: i.points, occurredOn: i.occurredOn })),
        sanctioned: l.sanctions.length > 0,
      })),
    };
  }

  /**
   * GET /v1/reports/participation: per village under `regionCode`, for a month:
   * households, active households (a record posted for the month, or a claim
   * made in it), the rate, CONDUCT points issued and redeemed, claims made and
   * approved. Lowest rate first: those are the villages to visit.
   */
  async participation(p: KeyPrincipal, regionCode: string | undefined, period: string) {
    const span = parsePeriod(period);
    if (!span || period.includes('Q')) throw new BadInput('period is not valid', [{ field: 'period', messages: ['period must be a month, e.g. 2026-12'] }]);
    const prefix = listScope(p, regionCode);
    const rows = await queryRows<{ code: string; name: string; households: number; active: number; claims: number; approved: number }>(
      this.dataSource,
      `WITH v AS (SELECT code, name FROM regions WHERE tenant_id = $1 AND level = 'village' AND starts_with(code, $2)),
            hh AS (SELECT village_code, count(*)::int AS n FROM households WHERE tenant_id = $1 AND starts_with(village_code, $2) GROUP BY village_code),
            act AS (
              SELECT r.region_code, count(DISTINCT r.holder_id)::int AS n FROM records r
               WHERE r.tenant_id = $1 AND r.holder_type = 'household' AND starts_with(r.region_code, $2)
                 AND ((r.status = 'posted' AND r.occurred_on >= $3::date AND r.occurred_on < $4::date)
                      OR (r.source = 'claim' AND r.created_at >= ($3::date::timestamp AT TIME ZONE 'Asia/Shanghai') AND r.created_at < ($4::date::timestamp AT TIME ZONE 'Asia/Shanghai')))
               GROUP BY r.region_code),
            cl AS (
              SELECT r.region_code, count(*)::int AS n, count(*) FILTER (WHERE r.status IN ('approved', 'in_notice', 'posted'))::int AS approved FROM records r
               WHERE r.tenant_id = $1 AND r.source = 'claim' AND starts_with(r.region_code, $2)
                 AND r.created_at >= ($3::date::timestamp AT TIME ZONE 'Asia/Shanghai') AND r.created_at < ($4::date::timestamp AT TIME ZONE 'Asia/Shanghai')
               GROUP BY r.region_code)
       SELECT v.code, v.name, COALESCE(hh.n, 0) AS households, COALESCE(act.n, 0) AS active, COALESCE(cl.n, 0) AS claims, COALESCE(cl.approved, 0) AS approved
         FROM v LEFT JOIN hh ON hh.village_code = v.code LEFT JOIN act ON act.region_code = v.code LEFT JOIN cl ON cl.region_code = v.code`,
      [requireTenant(p.tenantId), prefix, span.from, span.to],
    );
    const flows = await this.ledger.flowsByRegion(p.tenantId, prefix, BOARD_ASSET, span.from, span.to);
    const amounts = await this.assets.amounts(p.tenantId);
    const villages = rows.map((r) => {
      const f = flows.get(r.code);
      return {
        villageCode: r.code,
        villageName: r.name,
        households: r.households,
        active: r.active,
        rate: r.households ? Math.round((r.active / r.households) * 1000) / 1000 : 0,
        issued: amounts.format(f?.issued ?? 0, BOARD_ASSET),
        redeemed: amounts.format(f?.redeemed ?? 0, BOARD_ASSET),
        claims: r.claims,
        claimsApproved: r.approved,
      };
    });
    villages.sort((a, b) => a.rate - b.rate || a.villageCode.localeCompare(b.villageCode));
    return { regionCode: prefix, period, asset: BOARD_ASSET, villages };
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { AssetsService, CNY } from '../ledger/assets.service';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { Gauge } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, assertRegionInScope, KeyPrincipal, regionRelated } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import type { EntryDraft } from '../ledger/domain/model';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import { IdempotentCommands } from '../platform/database/idempotent-command';
import { requireTenant } from '../platform/database/tenant';
import { NotFound, Unprocessable } from '../platform/http/app-error';
import { MetricsService } from '../platform/observability/metrics.service';
import { TenancyService } from '../tenancy/tenancy.service';
import { CreateFundDto, DonationDto, DonationView, FundCoverageView, FundsView, FundView } from './funds.dto';
import { queryRows } from '../platform/database/query-rows';

/** Decimals of a coverage ratio in the alert sentence (a ratio, not an amount). */
const RATIO_SHOWN = 2;
const POINTS_FOR_DONATIONS = 'XIAOSHAN';

interface FundRow {
  id: string;
  name: string;
  region_code: string;
  conversion_rate: string | null;
  coverage_alert_below: string;
}


const view = (f: FundRow): FundView => ({
  id: f.id,
  name: f.name,
  regionCode: f.region_code,
  conversionRate: f.conversion_rate,
  coverageAlertBelow: f.coverage_alert_below,
});

/** A fund's CNY account in the ledger. */
export const fundAccount = (fundId: string, regionCode: string) => ({ holderType: 'fund' as const, holderId: fundId, asset: CNY, regionCode });

/**
 * Funds hold CNY (a village 孝善基金, a county incentive fund) and pay the shops
 * for the points they take. Donations come in from outside (the `donations`
 * system account); given on a household's behalf they also earn that household
 * XIAOSHAN points at the fund's conversion rate, in the same transaction.
 */
@Injectable()
export class FundsService implements OnModuleInit {
  private readonly coverage: Gauge<'tenant' | 'fund'>;
  private readonly alert: Gauge<'tenant' | 'fund'>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenancy: TenancyService,
    private readonly holders: HoldersService,
    private readonly ledger: LedgerPosting,
    private readonly commands: IdempotentCommands,
    metrics: MetricsService,
    private readonly assets: AssetsService,
  ) {
    this.coverage = new Gauge({ name: 'jifen_fund_coverage_ratio', help: 'Fund balance over the CNY value of the points it backs, as last computed', labelNames: ['tenant', 'fund'], registers: [metrics.registry] });
    this.alert = new Gauge({ name: 'jifen_fund_coverage_alert', help: '1 when a fund is below its coverage threshold, as last computed', labelNames: ['tenant', 'fund'], registers: [metrics.registry] });
  }

  onModuleInit(): void {
    this.holders.registerFinder('fund', async (t, id, m) => {
      const [f] = await queryRows<{ name: string; region_code: string }>(m, `SELECT name, region_code FROM funds WHERE tenant_id = $1 AND id = $2`, [requireTenant(t), id]);
      return f ? { type: 'fund', id, regionCode: f.region_code, name: f.name } : null;
    });
  }

  async create(p: KeyPrincipal, dto: CreateFundDto): Promise<FundView> {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    const id = randomUUID();
    const [row] = await queryRows<FundRow>(
      this.dataSource,
      `INSERT INTO funds (tenant_id, id, name, region_code, conversion_rate, coverage_alert_below, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING id, name, region_code, conversion_rate::text AS conversion_rate, coverage_alert_below::text AS coverage_alert_below`,
      [p.tenantId, id, dto.name, dto.regionCode, dto.conversionRate ?? null, dto.coverageAlertBelow ?? '1', actorRef(p)],
    );
    return view(row);
  }

  /** The fund if the key may read it (its region inside or above the key's scope); otherwise 404. */
  async find(p: KeyPrincipal, id: string, m: EntityManager = this.dataSource.manager): Promise<FundRow> {
    const [f]: FundRow[] = await m.query(
      `SELECT id, name, region_code, conversion_rate::text AS conversion_rate, coverage_alert_below::text AS coverage_alert_below
         FROM funds WHERE tenant_id = $1 AND id = $2`,
      [requireTenant(p.tenantId), id],
    );
    if (!f || !regionRelated(p, f.region_code)) throw new NotFound(`fund ${id}`);
    return f;
  }

  async list(p: KeyPrincipal): Promise<FundsView> {
    const rows: FundRow[] = await this.dataSource.query(
      `SELECT id, name, region_code, conversion_rate::text AS conversion_rate, coverage_alert_below::text AS coverage_alert_below
         FROM funds WHERE tenant_id = $1 AND (starts_with(region_code, $2) OR starts_with($2, region_code)) ORDER BY created_at, id`,
      [requireTenant(p.tenantId), p.scopeRegionCode],
    );
    return { items: rows.map(view), nextCursor: null };
  }

  /**
   * GET /v1/funds/{id}: the CNY balance; what it backs, asset by asset: points
   * held by households and people in the regions of the shops it pays (each
   * account counted once, at the best rate among those shops) plus points the
   * shops took and are not yet settled (at the rate agreed at redemption); and
   * the coverage ratio, balance over that value. Null ratio: it backs nothing.
   */
  async get(p: KeyPrincipal, id: string): Promise<FundCoverageView> {
    const f = await this.find(p, id);
    const [acc] = await queryRows<{ balance: string }>(this.dataSource, `SELECT balance::text AS balance FROM ledger_holder_balances WHERE tenant_id = $1 AND holder_type = 'fund' AND holder_id = $2 AND asset_code = $3`, [
      p.tenantId,
      id,
      CNY,
    ]);
    const balance = new Decimal(acc?.balance ?? 0);
    const rows = await queryRows<{ asset: string; points: string; cny: string }>(
      this.dataSource,
      `WITH rates AS (
         SELECT region_code, asset_code AS asset, rate FROM shop_asset_rates WHERE tenant_id = $1 AND fund_id = $2
       ), held AS (
         SELECT b.asset_code AS asset, b.available AS points, max(r.rate) AS rate
           FROM ledger_holder_balances b JOIN rates r ON r.asset = b.asset_code AND starts_with(b.region_code, r.region_code)
          WHERE b.tenant_id = $1 AND b.holder_type IN ('household', 'person') AND b.available > 0
          GROUP BY b.account_id, b.asset_code, b.available
       ), taken AS (
         SELECT asset_code AS asset, amount AS points, rate FROM unsettled_redemptions WHERE tenant_id = $1 AND fund_id = $2
       )
       SELECT asset, sum(points)::text AS points, sum(points * rate)::text AS cny
         FROM (SELECT asset, points, rate FROM held UNION ALL SELECT asset, points, rate FROM taken) AS x
        GROUP BY asset ORDER BY asset`,
      [p.tenantId, id],
    );
    const amounts = await this.assets.amounts(p.tenantId);
    const outstanding = rows.map((r) => ({ asset: r.asset, points: amounts.format(r.points, r.asset), valueCny: amounts.format(amounts.round(r.cny, CNY, Decimal.ROUND_HALF_UP), CNY) }));
    const liability = amounts.round(rows.reduce((s, r) => s.plus(r.cny), new Decimal(0)), CNY, Decimal.ROUND_HALF_UP);
    const points = rows.reduce((s, r) => s.plus(r.points), new Decimal(0));
    const ratio = liability.isZero() ? null : balance.div(liability).toDecimalPlaces(4, Decimal.ROUND_DOWN);
    const belowAlert = ratio !== null && ratio.lt(f.coverage_alert_below);
    if (ratio !== null) this.coverage.set({ tenant: p.tenantId, fund: id }, ratio.toNumber()); // a gauge is a float by nature; amounts stay decimal
    this.alert.set({ tenant: p.tenantId, fund: id }, belowAlert ? 1 : 0);
    return {
      ...view(f),
      balance: amounts.format(balance, CNY),
      // Points of several assets added up: at the largest scale among them.
      outstandingPoints: points.toFixed(Math.max(0, ...rows.map((r) => amounts.scaleOf(r.asset)))),
      outstandingCny: amounts.format(liability, CNY),
      outstanding,
      coverageRatio: ratio === null ? null : ratio.toFixed(4),
      belowAlert,
      ...(belowAlert ? { alert: `资金覆盖率 ${ratio!.toFixed(RATIO_SHOWN)} 低于预警线 ${f.coverage_alert_below}` } : {}),
    };
  }

  /** POST /v1/funds/{id}/donations, idempotent. */
  async donate(p: KeyPrincipal, fundId: string, dto: DonationDto, key: string) {
    const f = await this.find(p, fundId);
    assertRegionInScope(p, f.region_code, `fund ${fundId}`);
    const amount = new Decimal(dto.amount);
    if (!amount.gt(0)) throw new Unprocessable('amount must be greater than zero', 'invalid-amount');
    let household: { id: string; regionCode: string } | null = null;
    if (dto.holder) {
      const h = await this.holders.find(p.tenantId, 'household', dto.holder.id);
      // A household outside the fund's region, or the key's, reads as unknown.
      if (!h || !h.regionCode.startsWith(f.region_code) || !h.regionCode.startsWith(p.scopeRegionCode)) throw new NotFound(`household ${dto.holder.id}`);
      if (!f.conversion_rate) throw new Unprocessable(`fund ${f.name} has no conversion rate; a donation on a household's behalf earns nothing here`, 'no-conversion-rate');
      household = h;
    }
    return this.commands.run(p.tenantId, `POST /v1/funds/${fundId}/donations`, key, dto, 201, async (m): Promise<DonationView> => {
      const amounts = await this.assets.amounts(p.tenantId, m);
      const points = household ? amounts.round(amount.mul(f.conversion_rate!), POINTS_FOR_DONATIONS, Decimal.ROUND_DOWN) : null;
      const id = randomUUID();
      const entries: EntryDraft[] = [
        { account: { holderType: 'system', holderId: 'donations', asset: CNY }, amount: amount.negated() },
        { account: fundAccount(fundId, f.region_code), amount },
      ];
      if (household && points && points.gt(0)) {
        entries.push(
          { account: { holderType: 'system', holderId: 'issuer', asset: POINTS_FOR_DONATIONS }, amount: points.negated() },
          { account: { holderType: 'household', holderId: household.id, asset: POINTS_FOR_DONATIONS, regionCode: household.regionCode }, amount: points },
        );
      }
      const tx = await this.ledger.post(m, {
        tenantId: p.tenantId,
        kind: 'donation',
        entries,
        memo: `${dto.donor} 捐赠 ${f.name}`,
        metadata: { fundId, donationId: id, donor: dto.donor },
        source: { type: 'donation', id },
        actor: actorRef(p),
      });
      await m.query(
        `INSERT INTO donations (tenant_id, id, fund_id, donor, amount, household_id, points, transaction_id, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [p.tenantId, id, fundId, dto.donor, amounts.format(amount, CNY), household?.id ?? null, points ? amounts.format(points, POINTS_FOR_DONATIONS) : null, tx.id, actorRef(p)],
      );
      return { id, fundId, donor: dto.donor, amount: amounts.format(amount, CNY), householdId: household?.id ?? null, points: points ? amounts.format(points, POINTS_FOR_DONATIONS) : null, transactionId: tx.id };
    });
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { AssetsService } from '../ledger/assets.service';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { SanctionView } from '../holders/holders.dto';
import { DataSource, EntityManager } from 'typeorm';
import { assertRegionInScope, KeyPrincipal } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { LedgerAdjustments } from '../ledger/ledger-adjustments.service';
import { requireTenant } from '../platform/database/tenant';
import { NotFound } from '../platform/http/app-error';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { columns } from '../platform/database/sql-arrays';
import { RuleSetsService, shanghaiToday } from '../rules/rulesets.service';

interface SanctionRule {
  code: string;
  benefitCodes: string[];
  when: { deductedAtLeast?: string; windowDays?: number; balanceBelow?: string };
  liftWhen?: { balanceAtLeast: string };
}

export { SanctionView };

const SANCTIONED_ASSET = 'CONDUCT';

/**
 * Turns accumulated deductions into sanctions. Evaluated after every posting
 * that changes a household's CONDUCT, in the same DB transaction: a sanction
 * starts when a rule's condition holds (deductions posted in the last
 * `windowDays` reach `deductedAtLeast`, or the balance is below `balanceBelow`)
 * and is lifted when the condition no longer holds and, if the rule has
 * `liftWhen`, the balance is back at `balanceAtLeast`.
 */
@Injectable()
export class SanctionsService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ruleSets: RuleSetsService,
    private readonly holders: HoldersService,
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerAdjustments,
    private readonly assets: AssetsService,
  ) {}

  onModuleInit(): void {
    this.holders.registerSanctions((tenantId, householdId) => this.active(tenantId, householdId));
    // Admin transfers and reversals of a household's CONDUCT do not go through records.
    this.ledger.onAdjusted(async (tenantId, refs) => {
      const households = refs.filter((a) => a.holderType === 'household' && a.asset === SANCTIONED_ASSET);
      if (!households.length || !(await this.hasSanctionRules(tenantId))) return;
      const found = await this.holders.findMany(tenantId, 'household', households.map((h) => h.holderId), this.dataSource.manager);
      await this.uow.run((m) => this.evaluateMany(m, tenantId, [...found.values()].map((h) => ({ id: h.id, regionCode: h.regionCode })), 'ledger:adjustment'));
    });
  }

  private readonly rulesKnown = new Map<string, { has: boolean; until: number }>();

  /**
   * Whether any CONDUCT rule set of the tenant (active or retired) has sanction
   * rules; cached for a minute, since transfers ask on every call and most
   * counties change rules a few times a year. A set activated within the
   * minute is caught by the nightly re-evaluation at the latest.
   */
  private async hasSanctionRules(tenantId: string): Promise<boolean> {
    const hit = this.rulesKnown.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.has;
    const [r] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM rule_sets WHERE tenant_id = $1 AND asset_code = $2 AND status <> 'draft'
                        AND jsonb_array_length(COALESCE(document->'sanctions', '[]'::jsonb)) > 0) AS has`,
      [tenantId, SANCTIONED_ASSET],
    );
    this.rulesKnown.set(tenantId, { has: r.has, until: Date.now() + 60_000 });
    return r.has;
  }

  async evaluate(m: EntityManager, tenantId: string, householdId: string, regionCode: string, actor: string): Promise<void> {
    await this.evaluateMany(m, tenantId, [{ id: householdId, regionCode }], actor);
  }

  /**
   * Evaluates the sanction rules for many households at once, with one query
   * per kind of fact (balances, deductions per window, active sanctions), not
   * per household: the CSV import and the daily re-evaluation call it with
   * thousands.
   */
  async evaluateMany(m: EntityManager, tenantId: string, households: { id: string; regionCode: string }[], actor: string, today = shanghaiToday()): Promise<{ activated: number; lifted: number }> {
    const counts = { activated: 0, lifted: 0 };
    const byRegion = new Map<string, string[]>();
    for (const h of households) byRegion.set(h.regionCode, [...(byRegion.get(h.regionCode) ?? []), h.id]);
    const plans: { householdId: string; setId: string; rule: SanctionRule }[] = [];
    for (const [regionCode, ids] of byRegion) {
      const set = await this.ruleSets.applicableFor(tenantId, regionCode, SANCTIONED_ASSET, today, m);
      for (const rule of (set?.sanctions ?? []) as SanctionRule[]) for (const id of new Set(ids)) plans.push({ householdId: id, setId: set!.id, rule });
    }
    if (!plans.length) return counts;
    const ids = [...new Set(plans.map((p) => p.householdId))];
    const balances = new Map<string, Decimal>(
      (
        await m.query(
          `SELECT holder_id, balance::text AS balance FROM ledger_holder_balances
            WHERE tenant_id = $1 AND holder_type = 'household' AND holder_id = ANY($2::varchar[]) AND asset_code = $3`,
          [tenantId, ids, SANCTIONED_ASSET],
        )
      ).map((r: { holder_id: string; balance: string }) => [r.holder_id, new Decimal(r.balance)]),
    );
    const amounts = await this.assets.amounts(tenantId, m);
    const points = (v: Decimal) => amounts.format(v, SANCTIONED_ASSET);
    const deducted = new Map<string, Decimal>(); // `${windowDays}|${householdId}`
    for (const days of new Set(plans.map((p) => p.rule.when.windowDays).filter((d): d is number => d !== undefined))) {
      const rows = await m.query(
        `SELECT holder_id, sum(points)::text AS deducted FROM records
          WHERE tenant_id = $1 AND holder_type = 'household' AND holder_id = ANY($2::uuid[]) AND asset_code = $3
            AND direction = 'debit' AND status = 'posted' AND occurred_on > $4::date - $5::int
          GROUP BY holder_id`,
        [tenantId, ids, SANCTIONED_ASSET, today, days],
      );
      for (const r of rows) deducted.set(`${days}|${r.holder_id}`, new Decimal(r.deducted));
    }
    const active = new Map<string, string>(
      (
        await m.query(
          `SELECT id, household_id, rule_set_id, code FROM sanctions
            WHERE tenant_id = $1 AND household_id = ANY($2::uuid[]) AND status = 'active' ORDER BY id FOR NO KEY UPDATE`,
          [tenantId, ids],
        )
      ).map((r: { id: string; household_id: string; rule_set_id: string; code: string }) => [`${r.household_id}|${r.rule_set_id}|${r.code}`, r.id]),
    );
    const start: unknown[][] = [];
    const lift: unknown[][] = [];
    for (const { householdId, setId, rule } of plans) {
      const balance = balances.get(householdId) ?? new Decimal(0);
      let met: boolean;
      let why: string;
      if (rule.when.balanceBelow !== undefined) {
        met = balance.lt(rule.when.balanceBelow);
        why = `余额 ${points(balance)} 低于 ${rule.when.balanceBelow}`;
      } else {
        const d = deducted.get(`${rule.when.windowDays}|${householdId}`) ?? new Decimal(0);
        met = d.gte(rule.when.deductedAtLeast!);
        why = `${rule.when.windowDays} 天内扣分 ${points(d)}，达到 ${rule.when.deductedAtLeast}`;
      }
      const activeId = active.get(`${householdId}|${setId}|${rule.code}`);
      if (!activeId && met) {
        start.push([randomUUID(), householdId, setId, rule.code, JSON.stringify(rule.benefitCodes), `${why}（${actor}）`]);
      } else if (activeId && !met && (!rule.liftWhen || balance.gte(rule.liftWhen.balanceAtLeast))) {
        // Lifted once the condition no longer holds and, where the rule says so, the balance is back.
        lift.push([activeId, rule.liftWhen ? `条件不再成立，余额 ${points(balance)} 不低于 ${rule.liftWhen.balanceAtLeast}` : '条件不再成立']);
      }
    }
    if (start.length) {
      await m.query(
        `INSERT INTO sanctions (tenant_id, id, household_id, rule_set_id, code, benefit_codes, status, activated_reason)
         SELECT $1, id, household_id, rule_set_id, code, benefit_codes::jsonb, 'active', reason
           FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[]) AS s(id, household_id, rule_set_id, code, benefit_codes, reason)`,
        [tenantId, ...columns(start, 6)],
      );
    }
    if (lift.length) {
      await m.query(
        `UPDATE sanctions s SET status = 'lifted', lifted_at = now(), lifted_reason = l.reason
           FROM unnest($2::uuid[], $3::text[]) AS l(id, reason) WHERE s.tenant_id = $1 AND s.id = l.id`,
        [tenantId, ...columns(lift, 2)],
      );
    }
    return { activated: start.length, lifted: lift.length };
  }

  /**
   * Re-evaluates every household that has an active sanction or a deduction
   * recent enough to count in some window (the longest is taken as a year):
   * deductions age out of rolling windows with no posting to trigger
   * evaluation, and admin transfers do not go through records. Run daily by
   * the records job, in chunks of 1,000 households per transaction.
   */
  async reevaluateAll(today = shanghaiToday(), tenantId: string | null = null, progress?: (done: number, total: number) => void): Promise<{ households: number; activated: number; lifted: number }> {
    const rows: { tenant_id: string; id: string; region_code: string }[] = await this.dataSource.query(
      `SELECT DISTINCT h.tenant_id, h.id, h.village_code AS region_code FROM households h
        WHERE (EXISTS (SELECT 1 FROM sanctions s WHERE s.tenant_id = h.tenant_id AND s.household_id = h.id AND s.status = 'active')
           OR EXISTS (SELECT 1 FROM records r WHERE r.tenant_id = h.tenant_id AND r.holder_type = 'household' AND r.holder_id = h.id
                        AND r.asset_code = $2 AND r.direction = 'debit' AND r.occurred_on > $1::date - 400)
           OR EXISTS (SELECT 1 FROM ledger_holder_balances b WHERE b.tenant_id = h.tenant_id AND b.holder_type = 'household' AND b.holder_id = h.id::text
                        AND b.asset_code = $2 AND b.balance < 0))
           AND ($3::uuid IS NULL OR h.tenant_id = $3)
        ORDER BY h.tenant_id, h.id`,
      [today, SANCTIONED_ASSET, tenantId],
    );
    const total = { households: rows.length, activated: 0, lifted: 0 };
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const byTenant = new Map<string, { id: string; regionCode: string }[]>();
      for (const r of chunk) byTenant.set(r.tenant_id, [...(byTenant.get(r.tenant_id) ?? []), { id: r.id, regionCode: r.region_code }]);
      for (const [tenantId, hs] of byTenant) {
        const c = await this.uow.run((m) => this.evaluateMany(m, tenantId, hs, 'job:sanctions', today));
        total.activated += c.activated;
        total.lifted += c.lifted;
      }
      progress?.(Math.min(i + 1000, rows.length), rows.length);
    }
    return total;
  }

  /** Inside a unit of work, pass its manager: the read then runs on the transaction's connection. */
  async active(tenantId: string, householdId: string, m: EntityManager = this.dataSource.manager): Promise<SanctionView[]> {
    const rows = await m.query(
      `SELECT id, code, benefit_codes, status, activated_at, activated_reason, lifted_at, lifted_reason FROM sanctions
        WHERE tenant_id = $1 AND household_id = $2 AND status = 'active' ORDER BY activated_at`,
      [requireTenant(tenantId), householdId],
    );
    return rows.map((r: any) => ({
      id: r.id,
      code: r.code,
      benefitCodes: r.benefit_codes,
      status: r.status,
      activatedAt: r.activated_at.toISOString(),
      reason: r.activated_reason,
      liftedAt: r.lifted_at ? r.lifted_at.toISOString() : null,
      liftedReason: r.lifted_reason,
    }));
  }

  /** GET /v1/households/{id}/eligibility?benefit=CODE */
  async eligibility(p: KeyPrincipal, householdId: string, benefit: string): Promise<{ eligible: boolean; reasons: string[] }> {
    const holder = await this.holders.find(p.tenantId, 'household', householdId);
    if (!holder) throw new NotFound(`household ${householdId}`);
    assertRegionInScope(p, holder.regionCode, `household ${householdId}`);
    const blocking = (await this.active(p.tenantId, householdId)).filter((s) => s.benefitCodes.includes(benefit));
    return { eligible: blocking.length === 0, reasons: blocking.map((s) => `${s.code}: ${s.reason}`) };
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { assertRegionInScope, KeyPrincipal } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { requireTenant } from '../platform/database/tenant';
import { NotFound } from '../platform/http/app-error';
import { RuleSetsService, shanghaiToday } from '../rules/rulesets.service';

interface SanctionRule {
  code: string;
  benefitCodes: string[];
  when: { deductedAtLeast?: string; windowDays?: number; balanceBelow?: string };
  liftWhen?: { balanceAtLeast: string };
}

export interface SanctionView {
  id: string;
  code: string;
  benefitCodes: string[];
  status: string;
  activatedAt: string;
  reason: string;
  liftedAt: string | null;
  liftedReason: string | null;
}

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
  ) {}

  onModuleInit(): void {
    this.holders.registerSanctions((tenantId, householdId) => this.active(tenantId, householdId));
  }

  async evaluate(m: EntityManager, tenantId: string, householdId: string, regionCode: string, actor: string): Promise<void> {
    const today = shanghaiToday();
    const set = await this.ruleSets.applicableFor(tenantId, regionCode, SANCTIONED_ASSET, today, m);
    const rules = (set?.sanctions ?? []) as SanctionRule[];
    if (!set || !rules.length) return;
    const [acc] = await m.query(
      `SELECT balance::text AS balance FROM accounts WHERE tenant_id = $1 AND holder_type = 'household' AND holder_id = $2 AND asset_code = $3`,
      [tenantId, householdId, SANCTIONED_ASSET],
    );
    const balance = new Decimal(acc?.balance ?? 0);
    for (const rule of rules) {
      let met: boolean;
      let why: string;
      if (rule.when.balanceBelow !== undefined) {
        met = balance.lt(rule.when.balanceBelow);
        why = `余额 ${balance.toFixed(2)} 低于 ${rule.when.balanceBelow}`;
      } else {
        const [row] = await m.query(
          `SELECT COALESCE(sum(points), 0)::text AS deducted FROM records
            WHERE tenant_id = $1 AND holder_id = $2 AND asset_code = $3 AND direction = 'debit' AND status = 'posted'
              AND occurred_on > $4::date - $5::int`,
          [tenantId, householdId, SANCTIONED_ASSET, today, rule.when.windowDays],
        );
        met = new Decimal(row.deducted).gte(rule.when.deductedAtLeast!);
        why = `${rule.when.windowDays} 天内扣分 ${new Decimal(row.deducted).toFixed(2)}，达到 ${rule.when.deductedAtLeast}`;
      }
      const [active] = await m.query(
        `SELECT id FROM sanctions WHERE tenant_id = $1 AND household_id = $2 AND rule_set_id = $3 AND code = $4 AND status = 'active' FOR UPDATE`,
        [tenantId, householdId, set.id, rule.code],
      );
      if (!active && met) {
        await m.query(
          `INSERT INTO sanctions (tenant_id, id, household_id, rule_set_id, code, benefit_codes, status, activated_reason)
           VALUES ($1, $2, $3, $4, $5, $6, 'active', $7)`,
          [tenantId, randomUUID(), householdId, set.id, rule.code, JSON.stringify(rule.benefitCodes), `${why}（${actor}）`],
        );
      } else if (active) {
        // Lifted once the condition no longer holds and, where the rule says so, the balance is back.
        const lift = !met && (!rule.liftWhen || balance.gte(rule.liftWhen.balanceAtLeast));
        if (lift) {
          const reason = rule.liftWhen ? `条件不再成立，余额 ${balance.toFixed(2)} 不低于 ${rule.liftWhen.balanceAtLeast}` : '条件不再成立';
          await m.query(`UPDATE sanctions SET status = 'lifted', lifted_at = now(), lifted_reason = $3 WHERE tenant_id = $1 AND id = $2`, [tenantId, active.id, reason]);
        }
      }
    }
  }

  async active(tenantId: string, householdId: string): Promise<SanctionView[]> {
    const rows = await this.dataSource.query(
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

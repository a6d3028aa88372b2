import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import Decimal from 'decimal.js';
import { HoldersService } from '../holders/holders.service';
import { AssetsService } from '../ledger/assets.service';
import type { PostingRequest } from '../ledger/domain/model';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import { queryRows } from '../platform/database/query-rows';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { Unprocessable } from '../platform/http/app-error';
import { yieldToForeground } from '../platform/http/foreground';
import { BackgroundJobs } from '../platform/jobs/background-jobs';
import { shanghaiToday } from '../platform/util/business-date';
import { RuleSetsService } from '../rules/rulesets.service';
import { SanctionsService } from '../sanctions/sanctions.service';
import { BaseGrantRunView } from './records.dto';



/**
 * 基础分 (issue 21): a rule set's `baseGrant: { points, period: "month" }`
 * gives every household of its region enrolled by the month's first day its
 * base points once that month, effective on the first day (many villages
 * start each family at 100 a month and deduct from it). Each grant is a row
 * of base_grants, written in the same transaction as its posting, so a run
 * that stops halfway is finished by the next run and nothing is granted
 * twice, on one instance or several.
 */
@Injectable()
export class BaseGrantsService {
  private readonly logger = new Logger('BaseGrants');
  /** Households granted per transaction: a crash loses at most one chunk's work, and a rerun skips what was granted. */
  chunk = 500;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly holders: HoldersService,
    private readonly rules: RuleSetsService,
    private readonly assets: AssetsService,
    private readonly ledger: LedgerPosting,
    private readonly sanctions: SanctionsService,
    private readonly jobs: BackgroundJobs,
  ) {}

  /** Every hour: this month's grants (all but the first run of a month find nothing to do). */
  @Cron(CronExpression.EVERY_HOUR)
  scheduled(): Promise<void> {
    return this.jobs.run('base grants', async () => {
      const r = await this.grant(shanghaiToday().slice(0, 7), null);
      if (r.granted) this.logger.log(`base points for ${r.period}: ${r.granted} household(s) in ${r.villages} village(s)`);
    });
  }

  /** POST /v1/jobs/base-grants { period }: grants the period's base points now (of one tenant, or all for the scheduler). */
  async grant(period: string, tenantId: string | null, actor = 'job:base-grants'): Promise<BaseGrantRunView> {
    const firstDay = `${period}-01`;
    const today = shanghaiToday();
    if (firstDay > today) throw new Unprocessable(`period ${period} has not started`, 'future-period');
    const run: BaseGrantRunView = { period, villages: 0, granted: 0, points: [] };
    const total = new Map<string, Decimal>();
    for (const { tenantId: t, villageCode } of await this.holders.villagesWithHouseholds(tenantId)) {
      for (const asset of (await this.assets.list(t)).filter((a) => a.holderType === 'household')) {
        const set = await this.rules.applicableFor(t, villageCode, asset.code, firstDay);
        if (!set?.baseGrant || set.baseGrant.period !== 'month') continue;
        run.villages++;
        const amount = new Decimal(set.baseGrant.points);
        for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
          const ids = await this.holders.enrolledBy(t, villageCode, firstDay, after, this.chunk);
          if (!ids.length) break;
          after = ids[ids.length - 1];
          const n = await this.uow.run(
            async (m) => {
              // The grant's row first: a household another run has granted (or is granting) is skipped here.
              const fresh = await queryRows<{ household_id: string }>(
                m,
                `INSERT INTO base_grants (tenant_id, household_id, asset_code, period, points, rule_set_id, rule_set_version, actor)
                 SELECT $1, h, $3, $4, $5, $6, $7, $8 FROM unnest($2::uuid[]) AS h
                 ON CONFLICT (tenant_id, household_id, asset_code, period) DO NOTHING RETURNING household_id`,
                [t, ids, asset.code, period, amount.toFixed(), set.id, set.version, actor],
              );
              if (!fresh.length) return 0;
              const reqs: PostingRequest[] = fresh.map(({ household_id }) => ({
                tenantId: t,
                kind: 'issue',
                entries: [
                  { account: { holderType: 'system', holderId: 'issuer', asset: asset.code }, amount: amount.negated() },
                  { account: { holderType: 'household', holderId: household_id, asset: asset.code, regionCode: villageCode }, amount },
                ],
                memo: `${period} 基础分`,
                metadata: { ruleSetId: set.id, ruleSetVersion: set.version, period },
                source: { type: 'base-grant', id: `${period}:${household_id}` },
                actor,
                // Effective on the month's first day, whenever in the month it runs.
                ...(firstDay < today ? { effectiveOn: firstDay } : {}),
              }));
              const outcomes = await this.ledger.postMany(m, reqs);
              const refused = outcomes.find((o) => o.kind !== 'posted');
              if (refused) throw new Error(`a base grant was not posted: ${refused.kind === 'refused' ? refused.error.message : refused.kind}`);
              await m.query(
                `UPDATE base_grants g SET transaction_id = x.tx FROM unnest($2::uuid[], $3::uuid[]) AS x(h, tx)
                  WHERE g.tenant_id = $1 AND g.household_id = x.h AND g.asset_code = $4 AND g.period = $5`,
                [t, fresh.map((f) => f.household_id), outcomes.map((o) => (o.kind === 'posted' ? o.transaction.id : null)), asset.code, period],
              );
              if (asset.code === 'CONDUCT') await this.sanctions.evaluateMany(m, t, fresh.map((f) => ({ id: f.household_id, regionCode: villageCode })), actor);
              return fresh.length;
            },
            { lane: 'job' },
          );
          run.granted += n;
          total.set(asset.code, (total.get(asset.code) ?? new Decimal(0)).plus(amount.mul(n)));
          await yieldToForeground();
        }
      }
    }
    run.points = [...total].map(([a, v]) => `${a} ${v.toFixed()}`);
    return run;
  }
}

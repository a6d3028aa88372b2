import { Injectable, OnModuleInit } from '@nestjs/common';
import Decimal from 'decimal.js';
import type { EntityManager } from 'typeorm';
import { HoldersService } from '../holders/holders.service';
import type { PostingRequest } from '../ledger/domain/model';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import { RuleSetsService, RuleSetView, shanghaiToday } from '../rules/rulesets.service';

/** A household's opening grant: what the CONDUCT rule set in force on its enrolment day gives it. */
export interface OpeningGrant {
  householdId: string;
  regionCode: string;
  enrolledOn: string;
  amount: Decimal;
  set: RuleSetView;
}

const openingPosting = (tenantId: string, g: OpeningGrant, actor: string, effectiveOn?: string): PostingRequest => ({
  tenantId,
  kind: 'issue',
  entries: [
    { account: { holderType: 'system', holderId: 'issuer', asset: 'CONDUCT' }, amount: g.amount.negated() },
    { account: { holderType: 'household', holderId: g.householdId, asset: 'CONDUCT', regionCode: g.regionCode }, amount: g.amount },
  ],
  memo: '开户初始积分',
  metadata: { ruleSetId: g.set.id, ruleSetVersion: g.set.version },
  source: { type: 'enrolment', id: g.householdId },
  actor,
  ...(effectiveOn ? { effectiveOn } : {}),
});

/**
 * Villages that start every household at, say, 100 points set `openingPoints`
 * in their CONDUCT rule set. A household enrolling today gets them in the same
 * transaction as its enrolment; one enrolled on a past day (it joined before
 * jifen) gets them from the go-live migration that covers its village,
 * effective on its enrolment day, by the rule set in force that day.
 */
@Injectable()
export class OpeningPoints implements OnModuleInit {
  constructor(
    private readonly holders: HoldersService,
    private readonly ruleSets: RuleSetsService,
    private readonly ledger: LedgerPosting,
  ) {}

  onModuleInit(): void {
    this.holders.onEnrolled(async (m, household, tenantId, actor) => {
      const [grant] = await this.plan(m, tenantId, [{ id: household.id, regionCode: household.regionCode, enrolledOn: shanghaiToday() }]);
      if (grant) await this.ledger.post(m, openingPosting(tenantId, grant, actor));
    });
  }

  /** The grants these households are owed on their enrolment days (none where no set applied or it gives none). */
  async plan(m: EntityManager, tenantId: string, households: { id: string; regionCode: string; enrolledOn: string }[]): Promise<OpeningGrant[]> {
    const sets = new Map<string, Promise<RuleSetView | null>>();
    const grants: OpeningGrant[] = [];
    for (const h of households) {
      const key = `${h.regionCode}|${h.enrolledOn}`;
      if (!sets.has(key)) sets.set(key, this.ruleSets.applicableFor(tenantId, h.regionCode, 'CONDUCT', h.enrolledOn, m));
      const set = await sets.get(key)!;
      if (!set?.openingPoints || new Decimal(set.openingPoints).lte(0)) continue;
      grants.push({ householdId: h.id, regionCode: h.regionCode, enrolledOn: h.enrolledOn, amount: new Decimal(set.openingPoints), set });
    }
    return grants;
  }

  /**
   * Posts grants effective on their enrolment days (a go-live migration's
   * approval, in its transaction); answers how many posted, or the refusal.
   */
  async grantBackdated(m: EntityManager, tenantId: string, grants: OpeningGrant[], actor: string): Promise<number> {
    const outcomes = await this.ledger.postMany(m, grants.map((g) => openingPosting(tenantId, g, actor, g.enrolledOn)));
    const refused = outcomes.find((o) => o.kind !== 'posted');
    if (refused) throw new Error(`an opening grant was not posted: ${refused.kind === 'refused' ? refused.error.message : refused.kind}`);
    return outcomes.length;
  }
}

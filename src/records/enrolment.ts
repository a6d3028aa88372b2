import { Injectable, OnModuleInit } from '@nestjs/common';
import Decimal from 'decimal.js';
import { HoldersService } from '../holders/holders.service';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import { RuleSetsService, shanghaiToday } from '../rules/rulesets.service';

/**
 * Villages that start every household at, say, 100 points set `openingPoints`
 * in their CONDUCT rule set; a household enrolling gets them in the same
 * transaction as its enrolment.
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
      const set = await this.ruleSets.applicableFor(tenantId, household.regionCode, 'CONDUCT', shanghaiToday(), m);
      if (!set?.openingPoints || new Decimal(set.openingPoints).lte(0)) return;
      const amount = new Decimal(set.openingPoints);
      await this.ledger.post(m, {
        tenantId,
        kind: 'issue',
        entries: [
          { account: { holderType: 'system', holderId: 'issuer', asset: 'CONDUCT' }, amount: amount.negated() },
          { account: { holderType: 'household', holderId: household.id, asset: 'CONDUCT', regionCode: household.regionCode }, amount },
        ],
        memo: '开户初始积分',
        metadata: { ruleSetId: set.id, ruleSetVersion: set.version },
        source: { type: 'enrolment', id: household.id },
        actor,
      });
    });
  }
}

import Decimal from 'decimal.js';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { featuresSql } from '../../src/grades/grades.service';
import { LedgerPosting } from '../../src/ledger/ledger-posting.service';
import { UnitOfWork } from '../../src/platform/database/unit-of-work';
import { addDays, shanghaiToday } from '../../src/platform/util/business-date';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { makeCounty } from '../helpers/fixtures';

/**
 * Grade features by business dates (issue 20), against a brute-force count:
 * random households with random enrolment days, random backdated CONDUCT and
 * XIAOSHAN postings (as a migration books them), and a random day to grade
 * as of. conductNet, xiaoshanBalance and yearsEnrolled from the set-based SQL
 * must equal what is computed here from the generated history alone.
 */
describe('grade features by business dates (property-based, real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const posting = fc.record({ asset: fc.constantFrom('CONDUCT', 'XIAOSHAN'), daysAgo: fc.integer({ min: 1, max: 900 }), cents: fc.integer({ min: -3000, max: 9000 }).filter((c) => c !== 0) });
  const household = fc.record({ enrolledDaysAgo: fc.integer({ min: 0, max: 2500 }), postings: fc.array(posting, { maxLength: 6 }) });

  it('equal a brute-force computation from the history, as of any day', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(household, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 700 }), async (hhs, asOfDaysAgo) => {
        const c = await makeCounty(t);
        const today = shanghaiToday();
        const asOf = addDays(today, -asOfDaysAgo);
        const ids: string[] = [];
        for (const h of hhs) {
          const res = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '户主', enrolledOn: addDays(today, -h.enrolledDaysAgo) });
          ids.push(res.body.id);
          for (const p of h.postings) {
            const amount = new Decimal(p.cents).div(100);
            // XIAOSHAN cannot go below zero: deductions are only made from what is there, as the ledger would refuse otherwise.
            const req = {
              tenantId: c.tenantId, kind: amount.isNegative() ? ('penalty' as const) : ('issue' as const), memo: 'prop', metadata: {}, actor: 'prop', effectiveOn: addDays(today, -p.daysAgo),
              entries: [
                { account: { holderType: 'system' as const, holderId: 'issuer', asset: p.asset }, amount: amount.negated() },
                { account: { holderType: 'household' as const, holderId: res.body.id, asset: p.asset }, amount },
              ],
            };
            p.cents = await t.app.get(UnitOfWork).run((m) => t.app.get(LedgerPosting).post(m, req)).then(() => p.cents, () => 0); // refused: it never happened
          }
        }
        const rows: any[] = await t.app.get(DataSource).query(featuresSql({ tenantId: c.tenantId, regionCode: c.villages[0], asOf, current: asOf >= today, windows: { conductNet: 365, debitItems: 365, volunteerHours: 365 } }));
        hhs.forEach((h, i) => {
          const row = rows.find((r) => r.id === ids[i]);
          const enrolledOn = addDays(today, -h.enrolledDaysAgo);
          if (enrolledOn > asOf) return expect(row).toBeUndefined();
          const effective = h.postings.filter((p) => p.cents !== 0).map((p) => ({ ...p, day: addDays(today, -p.daysAgo) }));
          const cents = (xs: typeof effective) => xs.reduce((s, p) => s + p.cents, 0);
          const conduct = cents(effective.filter((p) => p.asset === 'CONDUCT' && p.day <= asOf && p.day > addDays(asOf, -365)));
          const xiaoshan = cents(effective.filter((p) => p.asset === 'XIAOSHAN' && p.day <= asOf));
          const days = (Date.parse(asOf) - Date.parse(enrolledOn)) / 86_400_000;
          expect({ conductNet: new Decimal(row.conductNet).toFixed(2), xiaoshanBalance: new Decimal(row.xiaoshanBalance).toFixed(2), yearsEnrolled: row.yearsEnrolled })
            .toEqual({ conductNet: new Decimal(conduct).div(100).toFixed(2), xiaoshanBalance: new Decimal(xiaoshan).div(100).toFixed(2), yearsEnrolled: String(Math.floor(days / 365.25)) });
        });
      }),
      { numRuns: 15 },
    );
  }, 300_000);
});

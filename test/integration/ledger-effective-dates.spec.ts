import Decimal from 'decimal.js';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { AccountRef, PostingRequest } from '../../src/ledger/domain/model';
import { addDays, shanghaiDate, shanghaiToday } from '../../src/platform/util/business-date';
import { Clock } from '../../src/platform/util/clock';
import { UnitOfWork } from '../../src/platform/database/unit-of-work';
import { Ledger, ledgerOf } from '../helpers/ledger';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { makeCounty, makeHousehold } from '../helpers/fixtures';

/**
 * Business dates (issue 20): random interleavings of live postings (effective
 * today) and backdated ones (effective on a past day, as a go-live migration
 * books them), through the batched path and inside a caller's transaction,
 * keep every invariant; the balance as of any day, read through account_days
 * (one index lookup), equals a brute-force sum of the entries effective on or
 * before it; balanceAfter stays the running balance in booking order; the hash
 * chain covers the business day and verifies.
 */
type Op = { live: boolean; who: number; cents: number; daysAgo: number; inTx: boolean; advance: number };

const opArb: fc.Arbitrary<Op> = fc.record({
  live: fc.boolean(),
  who: fc.nat(2),
  cents: fc.integer({ min: -2000, max: 3000 }).filter((c) => c !== 0),
  daysAgo: fc.integer({ min: 1, max: 40 }),
  inTx: fc.boolean(),
  advance: fc.constantFrom(0, 0, 1, 3),
});

describe('business dates in the ledger (property-based, real PostgreSQL)', () => {
  let t: TestApp;
  let ledger: Ledger;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    ledger = ledgerOf(t.app);
    db = t.app.get(DataSource);
  });
  afterAll(async () => t.close());

  it('as-of by business date equals a brute-force sum, for live and backdated postings interleaved', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 25 }), async (ops) => {
        const c = await makeCounty(t);
        const hh = [await makeHousehold(t, c.keys.clerk, c.villages[0]), await makeHousehold(t, c.keys.clerk, c.villages[0]), await makeHousehold(t, c.keys.clerk, c.villages[0])];
        const ref = (i: number): AccountRef => ({ holderType: 'household', holderId: hh[i], asset: 'CONDUCT' });
        const issuer: AccountRef = { holderType: 'system', holderId: 'issuer', asset: 'CONDUCT' };
        // The server's clock starts 60 days back and moves forward between operations: live
        // postings land on many days (an account's first posting of a day closes its last day).
        const clock = t.app.get(Clock);
        let offsetDays = -60;
        const spy = jest.spyOn(clock, 'now').mockImplementation(() => new Date(Date.now() + offsetDays * 86_400_000));
        const dayOf = () => shanghaiDate(clock.now());
        const seen = new Set<string>();
        try {
          for (const op of ops) {
            offsetDays = Math.min(0, offsetDays + op.advance);
            const today = dayOf();
            seen.add(today).add(addDays(today, -op.daysAgo)).add(addDays(today, -op.daysAgo - 1)).add(addDays(today, -1));
            const amount = new Decimal(op.cents).div(100);
            const req: PostingRequest = {
              tenantId: c.tenantId, kind: amount.isNegative() ? 'penalty' : 'issue', memo: 'prop', metadata: {}, actor: 'prop',
              entries: [{ account: issuer, amount: amount.negated() }, { account: ref(op.who), amount }],
              ...(op.live ? {} : { effectiveOn: addDays(today, -op.daysAgo) }),
            };
            if (op.inTx) await t.app.get(UnitOfWork).run((m) => ledger.post(m, req));
            else expect((await ledger.submit(req)).kind).toBe('posted');
          }
        } finally {
          spy.mockRestore();
        }
        // Every day a posting was made or was effective on, and the day before each: as-of through the API equals the sum of what was effective by then.
        const days = [...seen, shanghaiToday()];
        for (const i of [0, 1, 2]) {
          const sums: { day: string; s: string }[] = await db.query(
            `SELECT d::text AS day, (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
                                     WHERE a.tenant_id = $1 AND a.holder_type = 'household' AND a.holder_id = $2 AND a.asset_code = 'CONDUCT' AND e.effective_on <= d)::text AS s
               FROM unnest($3::date[]) AS d`,
            [c.tenantId, hh[i], days],
          );
          for (const { day, s } of sums) {
            const res = await t.http().get(`/v1/holders/household/${hh[i]}/balances?asOf=${day}`).set(bearer(c.keys.admin));
            expect([day, res.body.balances.find((b: any) => b.asset === 'CONDUCT').balance]).toEqual([day, new Decimal(s).toFixed(2)]);
          }
        }
        // balanceAfter is the running balance in booking order; the balance is the sum of all entries; the chain verifies.
        const broken: unknown[] = await db.query(
          `SELECT a.id FROM accounts a WHERE a.tenant_id = $1 AND a.balance <> (SELECT coalesce(sum(amount), 0) FROM ledger_entries e WHERE e.tenant_id = a.tenant_id AND e.account_id = a.id)
           UNION ALL
           SELECT e.account_id FROM ledger_entries e WHERE e.tenant_id = $1
              AND e.balance_after <> (SELECT sum(x.amount) FROM ledger_entries x WHERE x.tenant_id = e.tenant_id AND x.account_id = e.account_id AND x.account_seq <= e.account_seq)`,
          [c.tenantId],
        );
        expect(broken).toEqual([]);
        await ledger.sealAll();
        const report = await ledger.verify(c.tenantId);
        expect(report.problems).toEqual([]);
        expect(report.chainIntact && report.balanced && report.balancesMatchEntries).toBe(true);
      }),
      { numRuns: 12 },
    );
  }, 300_000);

  it('a backdated posting names its day in its view and its hash; a day that is not in the past is refused', async () => {
    const c = await makeCounty(t);
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const issuer: AccountRef = { holderType: 'system', holderId: 'issuer', asset: 'CONDUCT' };
    const to: AccountRef = { holderType: 'household', holderId: hh, asset: 'CONDUCT' };
    const req = (effectiveOn?: string): PostingRequest => ({
      tenantId: c.tenantId, kind: 'issue', memo: '纸质台账', metadata: {}, actor: 'prop', entries: [{ account: issuer, amount: new Decimal(-3) }, { account: to, amount: new Decimal(3) }],
      ...(effectiveOn ? { effectiveOn } : {}),
    });
    const past = addDays(shanghaiToday(), -400);
    const posted = await t.app.get(UnitOfWork).run((m) => ledger.post(m, req(past)));
    const view = await t.http().get(`/v1/transactions/${posted.id}`).set(bearer(c.keys.admin));
    expect(view.body.effectiveOn).toBe(past);
    expect(view.body.createdAt.slice(0, 10)).not.toBe(past);
    const entries = await t.http().get(`/v1/holders/household/${hh}/entries?effectiveTo=${addDays(past, 1)}`).set(bearer(c.keys.admin));
    expect(entries.body.items.map((e: any) => e.effectiveOn)).toEqual([past]);
    expect((await t.http().get(`/v1/holders/household/${hh}/entries?effectiveFrom=${addDays(past, 1)}`).set(bearer(c.keys.admin))).body.items).toEqual([]);
    for (const notPast of [shanghaiToday(), addDays(shanghaiToday(), 3)]) {
      await expect(t.app.get(UnitOfWork).run((m) => ledger.post(m, req(notPast)))).rejects.toMatchObject({ code: 'not-in-the-past' });
    }
    // Rewriting the day of a sealed backdated posting breaks the chain.
    await ledger.sealAll();
    await db.query(`BEGIN; SET LOCAL session_replication_role = replica; UPDATE ledger_transactions SET effective_on = effective_on + 1 WHERE id = '${posted.id}'; COMMIT`);
    const report = await ledger.verify(c.tenantId);
    expect(report.problems).toContain(`transaction ${posted.id} does not match its hash`);
  });
});

import Decimal from 'decimal.js';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { LedgerError } from '../../src/ledger/domain/errors';
import { AccountRef, PostingRequest } from '../../src/ledger/domain/model';
import { Ledger, ledgerOf } from '../helpers/ledger';
import { makeCounty, makeHousehold, makePerson } from '../helpers/fixtures';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * Random sequences of transfers, holds, completions, cancellations and
 * reversals, run against the real database, must keep four invariants:
 * trial balance zero per asset; each balance = sum of its entries;
 * balanceAfter chains; no floor crossed.
 */
type Op =
  | { op: 'issue' | 'penalty'; who: number; cents: number }
  | { op: 'transfer'; from: number; to: number; cents: number }
  | { op: 'hold'; from: number; to: number; cents: number }
  | { op: 'complete'; hold: number; part: number }
  | { op: 'cancel'; hold: number }
  | { op: 'reverse'; tx: number };

const HOLDERS = 4; // 0,1: households (CONDUCT, may go negative on penalties); 2,3: people (YIBI, never negative)

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('issue' as const, 'penalty' as const), who: fc.nat(HOLDERS - 1), cents: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ op: fc.constant('transfer' as const), from: fc.nat(HOLDERS - 1), to: fc.nat(HOLDERS - 1), cents: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ op: fc.constant('hold' as const), from: fc.nat(HOLDERS - 1), to: fc.nat(HOLDERS - 1), cents: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ op: fc.constant('complete' as const), hold: fc.nat(20), part: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ op: fc.constant('cancel' as const), hold: fc.nat(20) }),
  fc.record({ op: fc.constant('reverse' as const), tx: fc.nat(40) }),
);

describe('ledger invariants under random operations (property-based, real PostgreSQL)', () => {
  let t: TestApp;
  let ledger: Ledger;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    ledger = ledgerOf(t.app);
    db = t.app.get(DataSource);
  });
  afterAll(async () => t.close());

  // Sequentially, and three operations at a time (batches in flight together take the
  // cached path and its turns, holds and completions interleave with them).
  it.each([
    ['one at a time', 1, 25],
    ['three at a time', 3, 15],
  ])('keeps the trial balance, balances, balanceAfter chains and floors (%s)', async (_label, width, runs) => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
        const c = await makeCounty(t);
        const hh = [await makeHousehold(t, c.keys.clerk, c.villages[0]), await makeHousehold(t, c.keys.clerk, c.villages[0])];
        const people = [await makePerson(t, c.keys.clerk, c.villages[0]), await makePerson(t, c.keys.clerk, c.villages[0])];
        const ref = (i: number): AccountRef =>
          i < 2 ? { holderType: 'household', holderId: hh[i], asset: 'CONDUCT' } : { holderType: 'person', holderId: people[i - 2], asset: 'YIBI' };
        const issuer = (i: number): AccountRef => ({ holderType: 'system', holderId: 'issuer', asset: ref(i).asset });
        const holds: string[] = [];
        const txs: string[] = [];
        const post = async (kind: PostingRequest['kind'], from: AccountRef, to: AccountRef, amount: Decimal) => {
          const o = await ledger.submit({
            tenantId: c.tenantId, kind, memo: kind, metadata: {}, actor: 'prop',
            entries: [{ account: from, amount: amount.negated() }, { account: to, amount }],
          });
          if (o.kind === 'posted') txs.push(o.transaction.id);
        };
        const run = async (op: (typeof ops)[number]) => {
          try {
            switch (op.op) {
              case 'issue':
                await post('issue', issuer(op.who), ref(op.who), new Decimal(op.cents).div(100));
                break;
              case 'penalty':
                await post('penalty', ref(op.who), issuer(op.who), new Decimal(op.cents).div(100));
                break;
              case 'transfer':
                // CONDUCT moves between households, YIBI between people
                if (op.from === op.to || (op.from < 2) !== (op.to < 2)) break;
                await post('transfer', ref(op.from), ref(op.to), new Decimal(op.cents).div(100));
                break;
              case 'hold': {
                if (op.from === op.to || (op.from < 2) !== (op.to < 2)) break;
                const to = op.to < 2 ? { type: 'household' as const, id: hh[op.to] } : { type: 'person' as const, id: people[op.to - 2] };
                const from = op.from < 2 ? { type: 'household' as const, id: hh[op.from] } : { type: 'person' as const, id: people[op.from - 2] };
                const h = await ledger.hold({ tenantId: c.tenantId, asset: ref(op.from).asset, from, to, amount: new Decimal(op.cents).div(100), kind: 'redeem', memo: 'hold', actor: 'prop' });
                holds.push(h.id);
                break;
              }
              case 'complete': {
                const id = holds[op.hold % Math.max(holds.length, 1)];
                if (!id) break;
                const view = await ledger.getHold(c.tenantId, id);
                const part = new Decimal(view!.amount).mul(op.part).div(100).toDecimalPlaces(2, Decimal.ROUND_DOWN);
                if (part.lte(0)) break;
                const tx = await ledger.completeHold(c.tenantId, id, part, 'prop');
                txs.push(tx.id);
                break;
              }
              case 'cancel': {
                const id = holds[op.hold % Math.max(holds.length, 1)];
                if (id) await ledger.cancelHold(c.tenantId, id);
                break;
              }
              case 'reverse': {
                const id = txs[op.tx % Math.max(txs.length, 1)];
                if (!id) break;
                const r = await ledger.submit(await ledger.reversalRequest(c.tenantId, id, 'prop reversal', 'prop'));
                if (r.kind === 'posted') txs.push(r.transaction.id);
                break;
              }
            }
          } catch (e) {
            if (!(e instanceof LedgerError)) throw e; // refusals are fine; anything else is a bug
          }
        };
        for (let i = 0; i < ops.length; i += width) await Promise.all(ops.slice(i, i + width).map(run));
        await ledger.sealAll();
        const report = await ledger.verify(c.tenantId);
        expect(report.problems).toEqual([]);
        expect(report).toMatchObject({ balanced: true, balancesMatchEntries: true, chainIntact: true });
        // Floors: strict accounts never below zero nor below their holds;
        // CONDUCT only goes below zero through penalties and reversals.
        const strict = await db.query(
          `SELECT id FROM accounts WHERE tenant_id = $1 AND floor_policy = 'non_negative' AND (balance < 0 OR balance < pending)`,
          [c.tenantId],
        );
        expect(strict).toEqual([]);
        const spends = await db.query(
          `SELECT e.account_id FROM ledger_entries e
             JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
             JOIN ledger_transactions x ON x.tenant_id = e.tenant_id AND x.id = e.transaction_id
            WHERE e.tenant_id = $1 AND a.floor_policy = 'spend_only' AND e.amount < 0
              AND x.kind NOT IN ('penalty', 'reversal') AND e.balance_after < 0`,
          [c.tenantId],
        );
        expect(spends).toEqual([]);
      }),
      { numRuns: runs },
    );
  }, 180_000);
});

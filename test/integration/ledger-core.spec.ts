import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { KeyPrincipal } from '../../src/auth/principal';
import { LedgerError } from '../../src/ledger/domain/errors';
import { PostingRequest } from '../../src/ledger/domain/model';
import { LedgerHooks } from '../../src/ledger/ledger.hooks';
import { Ledger, ledgerOf } from '../helpers/ledger';
import { requestHash } from '../../src/platform/idempotency/idempotency';
import { UnitOfWork } from '../../src/platform/database/unit-of-work';
import { MetricsService } from '../../src/platform/observability/metrics.service';
import { County, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';
import { startTestApp, TestApp } from '../helpers/test-app';

const D = (s: string) => new Decimal(s);

describe('ledger core (integration, real PostgreSQL)', () => {
  let t: TestApp;
  let c: County;
  let ledger: Ledger;
  let db: DataSource;
  let admin: KeyPrincipal;

  const hhRef = (id: string) => ({ holderType: 'household' as const, holderId: id, asset: 'CONDUCT' });
  const issuer = { holderType: 'system' as const, holderId: 'issuer', asset: 'CONDUCT' };
  const req = (kind: PostingRequest['kind'], from: PostingRequest['entries'][0]['account'], to: PostingRequest['entries'][0]['account'], amount: string, extra: Partial<PostingRequest> = {}): PostingRequest => ({
    tenantId: c.tenantId,
    kind,
    entries: [
      { account: from, amount: D(amount).negated() },
      { account: to, amount: D(amount) },
    ],
    memo: kind,
    metadata: {},
    actor: 'test',
    ...extra,
  });
  /** Seals until the tenant has a seal (the horizon may lag behind other tests' open transactions). */
  const sealedFor = async (tenantId: string) => {
    for (let tries = 0; tries < 200; tries++) {
      await ledger.sealAll();
      const [row] = await db.query(`SELECT count(*)::int AS n FROM ledger_seals WHERE tenant_id = $1`, [tenantId]);
      if (row.n > 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no seal after 200 attempts');
  };
  const balanceOf = async (household: string) => {
    const [row] = await db.query(`SELECT balance::text AS b, pending::text AS p FROM accounts WHERE tenant_id = $1 AND holder_id = $2 AND asset_code = 'CONDUCT'`, [c.tenantId, household]);
    return row ? { balance: D(row.b), pending: D(row.p) } : { balance: D('0'), pending: D('0') };
  };

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    ledger = ledgerOf(t.app);
    db = t.app.get(DataSource);
    admin = { kind: 'key', keyId: 'k', tenantId: c.tenantId, role: 'admin', scopeRegionCode: c.county, shopId: null, bankId: null, actor: { type: 'key' as const, id: 'k', name: 'test' } };
  });
  afterAll(async () => t.close());

  it('50 parallel spends against one balance never overdraw it (batched and unbatched paths)', async () => {
    const payer = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const payee = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    await ledger.submit(req('issue', issuer, hhRef(payer), '10.00'));
    const uow = t.app.get(UnitOfWork);
    const attempts = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? ledger.submit(req('transfer', hhRef(payer), hhRef(payee), '1.00')).then((o) => o.kind === 'posted')
        : uow.run((m) => ledger.post(m, req('transfer', hhRef(payer), hhRef(payee), '1.00'))).then(() => true, (e) => {
            if (e instanceof LedgerError && e.code === 'insufficient-funds') return false;
            throw e;
          }),
    );
    const results = await Promise.all(attempts);
    expect(results.filter(Boolean)).toHaveLength(10);
    expect((await balanceOf(payer)).balance.toFixed(2)).toBe('0.00');
    expect((await balanceOf(payee)).balance.toFixed(2)).toBe('10.00');
  });

  it('concurrent retries of one idempotency key post exactly once, in this process and from a second instance', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const second = await startTestApp();
    try {
      const ledger2 = ledgerOf(second.app);
      const key = newIdempotencyKey();
      const body = { asset: 'CONDUCT', from: 'issuer' as const, to: { type: 'household' as const, id: hh }, amount: '3.00', memo: 'dup' };
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? ledger : ledger2).transfer(admin, body, key, body)),
      );
      const ids = new Set(answers.map((a) => (a.body as any).id));
      expect(ids.size).toBe(1);
      expect(answers.every((a) => a.status === 201)).toBe(true);
      expect((await balanceOf(hh)).balance.toFixed(2)).toBe('3.00');
      const [n] = await db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1 AND id = $2`, [c.tenantId, [...ids][0]]);
      expect(n.n).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('the cached path: another instance and units of work move the same accounts; every change is seen, nothing overdrawn or lost', async () => {
    const hh = await Promise.all([0, 1, 0, 1].map((v) => makeHousehold(t, c.keys.admin, c.villages[v])));
    for (const h of hh) await ledger.submit(req('issue', issuer, hhRef(h), '100'));
    const second = await startTestApp();
    try {
      const ledger2 = ledgerOf(second.app);
      const uow = t.app.get(UnitOfWork);
      // This instance caches the four accounts; the second moves them behind its back.
      expect((await ledger.submit(req('transfer', hhRef(hh[0]), hhRef(hh[1]), '1'))).kind).toBe('posted');
      expect((await ledger2.submit(req('transfer', hhRef(hh[1]), hhRef(hh[0]), '2'))).kind).toBe('posted');
      const staleBefore = ledger.staleBatches;
      expect((await ledger.submit(req('transfer', hhRef(hh[0]), hhRef(hh[1]), '3'))).kind).toBe('posted');
      expect(ledger.staleBatches).toBe(staleBefore + 1); // the database said no, and the batch was checked again
      const scraped = await t.app.get(MetricsService).registry.metrics();
      expect(scraped).toMatch(/jifen_ledger_batches_total\{path="stale"\} [1-9]/);
      expect(scraped).toMatch(/jifen_ledger_batches_total\{path="cached"\} [1-9]/);
      expect(scraped).toMatch(/jifen_ledger_batches_total\{path="ordinary"\} [1-9]/);
      expect((await balanceOf(hh[0])).balance.toFixed(0)).toBe('98'); // 100 - 1 + 2 - 3

      // Then all at once: both instances' batches and units of work, spends that may be refused.
      let posted = 0;
      const moves = Array.from({ length: 240 }, (_, i) => {
        const from = hh[i % 4];
        const to = hh[(i * 7 + 1) % 4 === i % 4 ? (i + 1) % 4 : (i * 7 + 1) % 4];
        const r = req('transfer', hhRef(from), hhRef(to), String(1 + (i % 37)));
        const run =
          i % 3 === 0
            ? ledger.submit(r).then((o) => o.kind === 'posted')
            : i % 3 === 1
              ? ledger2.submit(r).then((o) => o.kind === 'posted')
              : uow.run((m) => ledger.post(m, r)).then(() => true, (e) => {
                  if (e instanceof LedgerError && e.code === 'insufficient-funds') return false;
                  throw e;
                });
        return run.then((ok) => void (ok && posted++));
      });
      await Promise.all(moves);
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1 AND kind = 'transfer' AND memo = 'transfer'`, [c.tenantId]);
      const rows: { b: string; s: string; n: string; c: string }[] = await db.query(
        `SELECT a.balance::text AS b, (SELECT sum(amount) FROM ledger_entries e WHERE e.tenant_id = a.tenant_id AND e.account_id = a.id)::text AS s,
                (SELECT count(*) FROM ledger_entries e WHERE e.tenant_id = a.tenant_id AND e.account_id = a.id)::text AS n, a.entry_count::text AS c
           FROM accounts a WHERE a.tenant_id = $1 AND a.holder_id = ANY($2::varchar[])`,
        [c.tenantId, hh],
      );
      for (const r of rows) {
        expect(D(r.b).gte(0)).toBe(true);
        expect(D(r.b).eq(D(r.s))).toBe(true);
        expect(r.c).toBe(r.n);
      }
      expect(rows.reduce((sum, r) => sum.plus(r.b), D('0')).toFixed(0)).toBe('400');
      expect(n).toBeGreaterThanOrEqual(posted); // earlier tests' transfers share the memo; none of these is missing
      expect(await ledger.verify(c.tenantId)).toMatchObject({ balanced: true, balancesMatchEntries: true });

      // Many batches in flight at once on this instance: each is checked against the states the one
      // before it left in the cache while that one is still being written. 2,048 postings.
      // Before each batch commits, every account it wrote must agree with its own last entry.
      const hooks = t.app.get(LedgerHooks);
      const disagreements: string[] = [];
      hooks.beforeCommit = async (m, txs) => {
        const rows: { id: string }[] = await m.query(
          `SELECT a.id::text AS id FROM accounts a
             JOIN LATERAL (SELECT e.account_seq, e.balance_after FROM ledger_entries e
                            WHERE e.tenant_id = a.tenant_id AND e.account_id = a.id ORDER BY e.account_seq DESC LIMIT 1) last ON true
            WHERE a.tenant_id = $1 AND a.id = ANY($2::bigint[]) AND (a.entry_count <> last.account_seq OR a.balance <> last.balance_after)`,
          [c.tenantId, [...new Set(txs.flatMap((x) => x.entries.map((e) => e.accountId)))]],
        );
        disagreements.push(...rows.map((r) => r.id));
      };
      // 256 lanes: batches of a hundred and more, long enough for the writer to yield while checking.
      const lanes = Array.from({ length: 256 }, async (_, lane) => {
        for (let i = 0; i < 8; i++) {
          const from = hh[(lane + i) % 4];
          const to = hh[(lane + i + 1 + (i % 3)) % 4];
          await ledger.submit(req('transfer', hhRef(from), hhRef(to), '0.01'));
        }
      });
      // And again with a pause before each guarded statement: the next batch checks (and moves the
      // cached states) while this one waits to send; what this one writes must not change.
      const paused = async (lane: number) => {
        for (let i = 0; i < 4; i++) await ledger.submit(req('transfer', hhRef(hh[(lane + i) % 4]), hhRef(hh[(lane + i + 2) % 4]), '0.01'));
      };
      try {
        await Promise.all(lanes);
        hooks.beforeGuardedWrite = () => new Promise((r) => setTimeout(r, 15));
        await Promise.all(Array.from({ length: 96 }, (_, lane) => paused(lane)));
      } finally {
        hooks.beforeCommit = undefined;
        hooks.beforeGuardedWrite = undefined;
      }
      expect(disagreements).toEqual([]);
      const report = await ledger.verify(c.tenantId);
      expect(report).toMatchObject({ balanced: true, balancesMatchEntries: true });
    } finally {
      await second.close();
    }
  });

  it('batches touching the same accounts in opposite orders do not deadlock', async () => {
    const [a, b, x, y] = await Promise.all([0, 1, 0, 1].map((v) => makeHousehold(t, c.keys.admin, c.villages[v])));
    for (const h of [a, b, x, y]) await ledger.submit(req('issue', issuer, hhRef(h), '100'));
    const uow = t.app.get(UnitOfWork);
    const forward = () => [req('transfer', hhRef(a), hhRef(b), '1'), req('transfer', hhRef(x), hhRef(y), '1')];
    const backward = () => [req('transfer', hhRef(y), hhRef(x), '1'), req('transfer', hhRef(b), hhRef(a), '1')];
    // No retries: a deadlock would surface as an error here.
    const rounds = Array.from({ length: 40 }, (_, i) =>
      uow.run(async (m) => {
        const out = await ledger.postMany(m, i % 2 ? forward() : backward());
        await new Promise((r) => setTimeout(r, 2)); // hold the locks a moment
        return out;
      }, { retries: 0 }),
    );
    const outcomes = (await Promise.all(rounds)).flat();
    expect(outcomes.every((o) => o.kind === 'posted')).toBe(true);
    for (const h of [a, b, x, y]) expect((await balanceOf(h)).balance.toFixed(0)).toBe('100');
  });

  it('the cached path does not look up stored keys first; a stored key stops its write, and replays answer as stored', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const other = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    await ledger.submit(req('issue', issuer, hhRef(hh), '5.00'));
    await ledger.submit(req('issue', issuer, hhRef(other), '1.00')); // both accounts are now cached
    const count = async () => (await db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1`, [c.tenantId]))[0].n;
    const key = newIdempotencyKey();
    const body = { asset: 'CONDUCT', from: { type: 'household' as const, id: hh }, to: { type: 'household' as const, id: other }, amount: '4.00', memo: 'replay' };
    const first = await ledger.transfer(admin, body, key, body);
    expect(first.status).toBe(201);
    const before = await count();
    const stale = ledger.staleBatches;
    // A replay would now be refused for funds (1.00 left), but answers as the first time.
    expect(await ledger.transfer(admin, body, key, body)).toEqual(first);
    expect(ledger.staleBatches).toBe(stale + 1); // the guard found the key stored, and the batch looked it up
    // The same key with another body: 409, also when the accounts are cached again.
    await ledger.submit(req('issue', issuer, hhRef(hh), '0.50'));
    const other2 = { ...body, amount: '0.10' };
    await expect(ledger.transfer(admin, other2, key, other2)).rejects.toMatchObject({ code: 'idempotency-key-reused' });
    expect(await count()).toBe(before + 1); // only the issue of 0.50
    expect((await balanceOf(hh)).balance.toFixed(2)).toBe('1.50');
    // In one batch: a stored key beside a new posting; the new one posts once, the replay answers as stored.
    const fresh = { ...body, amount: '1.00' };
    const freshKey = newIdempotencyKey();
    const [again, posted] = await Promise.all([ledger.transfer(admin, body, key, body), ledger.transfer(admin, fresh, freshKey, fresh)]);
    expect(again).toEqual(first);
    expect(posted.status).toBe(201);
    expect((await balanceOf(hh)).balance.toFixed(2)).toBe('0.50');
    expect(await count()).toBe(before + 2);
    // A replay that would post again: its answer's INSERT meets the stored key, the batch
    // runs again on the ordinary path and replays; nothing is posted twice.
    const small = { ...body, amount: '0.20' };
    const smallKey = newIdempotencyKey();
    const smallFirst = await ledger.transfer(admin, small, smallKey, small);
    await ledger.submit(req('issue', issuer, hhRef(hh), '0.01')); // the accounts are cached again
    const staleNow = ledger.staleBatches;
    expect(await ledger.transfer(admin, small, smallKey, small)).toEqual(smallFirst);
    expect(ledger.staleBatches).toBe(staleNow); // not the guard: the unique key said no
    expect((await balanceOf(hh)).balance.toFixed(2)).toBe('0.31');
    expect(await count()).toBe(before + 4);
  });

  it('a failure after the entries are written, before commit, leaves nothing behind', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    await ledger.submit(req('issue', issuer, hhRef(hh), '1.00')); // its account is now cached: the failure hits the guarded write
    const hooks = t.app.get(LedgerHooks);
    const count = async () => (await db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1`, [c.tenantId]))[0].n;
    const before = await count();
    const key = newIdempotencyKey();
    const body = { asset: 'CONDUCT', from: 'issuer' as const, to: { type: 'household' as const, id: hh }, amount: '7.00', memo: 'atomic' };
    let sawEntries = 0;
    hooks.beforeCommit = async (m, posted) => {
      sawEntries = (await m.query(`SELECT count(*)::int AS n FROM ledger_entries WHERE tenant_id = $1 AND transaction_id = $2`, [c.tenantId, posted[0].id]))[0].n;
      throw new Error('injected failure before commit');
    };
    try {
      await expect(ledger.transfer(admin, body, key, body)).rejects.toThrow('injected failure');
    } finally {
      hooks.beforeCommit = undefined;
    }
    expect(sawEntries).toBe(2); // the entries were written …
    expect(await count()).toBe(before); // … and rolled back with everything else
    expect((await balanceOf(hh)).balance.toFixed(2)).toBe('1.00');
    const keys = await db.query(`SELECT 1 FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, [c.tenantId, key]);
    expect(keys).toHaveLength(0);
    // the same key then works
    expect((await ledger.transfer(admin, body, key, body)).status).toBe(201);
    expect((await balanceOf(hh)).balance.toFixed(2)).toBe('8.00');
    expect((await ledger.submit(req('issue', issuer, hhRef(hh), '1.00'))).kind).toBe('posted');
    expect((await balanceOf(hh)).balance.toFixed(2)).toBe('9.00');
  });

  describe('holds', () => {
    it('reserve, complete in part, cancel, and expire (idempotently)', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      const shopLike = await makeHousehold(t, c.keys.clerk, c.villages[0]); // a second holder stands in for a shop
      await ledger.submit(req('issue', issuer, hhRef(hh), '10'));
      await ledger.submit(req('issue', issuer, hhRef(shopLike), '1')); // both accounts are now in the account cache
      const cmd = { tenantId: c.tenantId, asset: 'CONDUCT', from: { type: 'household' as const, id: hh }, to: { type: 'household' as const, id: shopLike }, kind: 'redeem' as const, memo: '兑换', actor: 'test' };

      const h1 = await ledger.hold({ ...cmd, amount: D('6') });
      expect(await balanceOf(hh)).toEqual({ balance: D('10'), pending: D('6') });
      await expect(ledger.hold({ ...cmd, amount: D('5') })).rejects.toMatchObject({ code: 'insufficient-funds' });
      await expect(ledger.hold({ ...cmd, amount: D('0') })).rejects.toMatchObject({ code: 'invalid-amount' }); // zero is not a hold
      // a plain spend cannot use reserved points either; the hold made the account cache forget
      // this account, so the batch takes the ordinary path rather than fail the database's guard
      const stale = ledger.staleBatches;
      const spend = await ledger.submit(req('transfer', hhRef(hh), hhRef(shopLike), '5'));
      expect(spend.kind).toBe('refused');
      expect(ledger.staleBatches).toBe(stale);

      const tx = await ledger.completeHold(c.tenantId, h1.id, D('4'), 'test');
      expect(tx.entries.map((e) => e.amount.toFixed(0))).toEqual(['-4', '4']);
      expect(await balanceOf(hh)).toEqual({ balance: D('6'), pending: D('0') });
      await expect(ledger.completeHold(c.tenantId, h1.id, null, 'test')).rejects.toMatchObject({ code: 'hold-not-pending' });

      const h2 = await ledger.hold({ ...cmd, amount: D('2') });
      await ledger.cancelHold(c.tenantId, h2.id);
      await expect(ledger.cancelHold(c.tenantId, h2.id)).rejects.toMatchObject({ code: 'hold-not-pending' });
      expect((await balanceOf(hh)).pending.toFixed(0)).toBe('0');

      const h3 = await ledger.hold({ ...cmd, amount: D('3'), timeoutMs: 1 });
      await expect(ledger.hold({ ...cmd, amount: D('1'), timeoutMs: 60_000 })).resolves.toMatchObject({ status: 'pending' });
      await new Promise((r) => setTimeout(r, 10));
      await expect(ledger.completeHold(c.tenantId, h3.id, null, 'test')).rejects.toMatchObject({ code: 'hold-not-pending' });
      const expired = await ledger.expireHolds();
      expect(expired).toBeGreaterThanOrEqual(1);
      expect(await ledger.expireHolds()).toBe(0);
      expect((await ledger.getHold(c.tenantId, h3.id))!.status).toBe('expired');
      expect((await balanceOf(hh)).pending.toFixed(0)).toBe('1');
      expect((await ledger.completeHold(c.tenantId, h1.id, null, 'x').catch((e) => e)).code).toBe('hold-not-pending');
    });
  });

  describe('the database guards the journal', () => {
    it('refuses UPDATE and DELETE on entries, edits of transactions, and unbalanced inserts', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      const o = await ledger.submit(req('issue', issuer, hhRef(hh), '1'));
      const id = (o as any).transaction.id;
      await expect(db.query(`UPDATE ledger_entries SET amount = 100 WHERE tenant_id = $1 AND transaction_id = $2`, [c.tenantId, id])).rejects.toThrow(/immutable/);
      await expect(db.query(`DELETE FROM ledger_entries WHERE tenant_id = $1 AND transaction_id = $2`, [c.tenantId, id])).rejects.toThrow(/immutable/);
      await expect(db.query(`UPDATE ledger_transactions SET memo = 'x' WHERE tenant_id = $1 AND id = $2`, [c.tenantId, id])).rejects.toThrow(/immutable/);
      await expect(db.query(`DELETE FROM ledger_transactions WHERE tenant_id = $1 AND id = $2`, [c.tenantId, id])).rejects.toThrow(/immutable/);
      await expect(db.query(`TRUNCATE ledger_entries CASCADE`)).rejects.toThrow(/immutable/);
      const [acc] = await db.query(`SELECT id FROM accounts WHERE tenant_id = $1 AND holder_id = $2`, [c.tenantId, hh]);
      // A transaction and its entries written together, unbalanced.
      await expect(
        db.query(
          `WITH tx AS (INSERT INTO ledger_transactions (tenant_id, id, kind, actor, created_at, hash)
                       VALUES ($1, $3, 'issue', 'x', now(), '\\x00'))
           INSERT INTO ledger_entries (tenant_id, account_id, account_seq, transaction_id, asset_code, amount, balance_after, created_at)
           VALUES ($1, $2, 999, $3, 'CONDUCT', 5, 5, now()), ($1, $2, 1000, $3, 'CONDUCT', 4, 9, now())`,
          [c.tenantId, acc.id, '00000000-0000-4000-8000-0000000000aa'],
        ),
      ).rejects.toThrow(/unbalanced/);
      await expect(
        db.transaction((m) => m.query(`INSERT INTO ledger_transactions (tenant_id, id, kind, actor, created_at, hash) VALUES ($1, gen_random_uuid(), 'issue', 'x', now(), '\\x00')`, [c.tenantId])),
      ).rejects.toThrow(/fewer than two entries/);
    });

    it('checks per statement what foreign keys checked per row: accounts, their asset, transactions, tenants, reversals', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      await ledger.submit(req('issue', issuer, hhRef(hh), '1'));
      const [acc] = await db.query(`SELECT id FROM accounts WHERE tenant_id = $1 AND holder_id = $2`, [c.tenantId, hh]);
      const [iss] = await db.query(`SELECT id FROM accounts WHERE tenant_id = $1 AND holder_type = 'system' AND holder_id = 'issuer' AND asset_code = 'CONDUCT'`, [c.tenantId]);
      const write = (o: { tenant?: string; account?: string; asset?: string; reversalOf?: string | null; entriesTx?: string }) => {
        const tx = '00000000-0000-4000-8000-0000000000bb';
        return db.query(
          `WITH tx AS (INSERT INTO ledger_transactions (tenant_id, id, kind, actor, created_at, hash, reversal_of)
                       VALUES ($1, $4, 'issue', 'x', now(), '\\x00', $6))
           INSERT INTO ledger_entries (tenant_id, account_id, account_seq, transaction_id, asset_code, amount, balance_after, created_at)
           VALUES ($1, $2, 900001, $5, $7, 1, 1, now()), ($1, $3, 900001, $5, $7, -1, -1, now())`,
          [o.tenant ?? c.tenantId, o.account ?? acc.id, iss.id, tx, o.entriesTx ?? tx, o.reversalOf ?? null, o.asset ?? 'CONDUCT'],
        );
      };
      await expect(write({ account: '999999999' })).rejects.toThrow(/does not exist in this tenant/);
      await expect(write({ asset: 'YIBI' })).rejects.toThrow(/holds CONDUCT/);
      await expect(write({ entriesTx: '00000000-0000-4000-8000-0000000000cc' })).rejects.toThrow(/(transaction .* which does not exist|fewer than two entries)/);
      await expect(write({ reversalOf: '00000000-0000-4000-8000-0000000000dd' })).rejects.toThrow(/reverses .* which does not exist/);
      const other = await makeCounty(t);
      await expect(write({ tenant: other.tenantId })).rejects.toThrow(/does not exist in this tenant/);
      // Nothing of the refused writes is left, and accounts cannot be deleted from under the journal.
      expect((await db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE id = '00000000-0000-4000-8000-0000000000bb'`))[0].n).toBe(0);
      await expect(db.query(`DELETE FROM accounts WHERE tenant_id = $1 AND id = $2`, [c.tenantId, acc.id])).rejects.toThrow(/immutable/);
      await expect(db.query(`TRUNCATE accounts CASCADE`)).rejects.toThrow(/immutable/);
    });

    it('verify detects a tampered entry and a tampered seal', async () => {
      const other = await makeCounty(t);
      const hh = await makeHousehold(t, other.keys.clerk, other.villages[0]);
      const ref = { holderType: 'household' as const, holderId: hh, asset: 'CONDUCT' };
      for (const amount of ['1', '2', '3']) {
        await ledger.submit({ ...req('issue', { ...issuer }, ref, amount), tenantId: other.tenantId });
      }
      await sealedFor(other.tenantId);
      await ledger.submit({ ...req('issue', { ...issuer }, ref, '4'), tenantId: other.tenantId }); // stays unsealed
      expect(await ledger.verify(other.tenantId)).toMatchObject({ balanced: true, balancesMatchEntries: true, chainIntact: true, checkedTransactions: 4 });

      // Someone with superuser rights bypasses the triggers and edits history.
      await db.transaction(async (m) => {
        await m.query(`SET LOCAL session_replication_role = replica`);
        await m.query(
          `UPDATE ledger_entries SET amount = amount + 1, balance_after = balance_after + 1 WHERE tenant_id = $1 AND account_seq = 1 AND amount > 0`,
          [other.tenantId],
        );
      });
      const report = await ledger.verify(other.tenantId);
      expect(report.chainIntact).toBe(false);
      expect(report.balanced).toBe(false);
      expect(report.problems.join('\n')).toMatch(/does not match its hash/);

      const third = await makeCounty(t);
      const hh3 = await makeHousehold(t, third.keys.clerk, third.villages[0]);
      await ledger.submit({ ...req('issue', issuer, { ...ref, holderId: hh3 }, '1'), tenantId: third.tenantId });
      await sealedFor(third.tenantId);
      await db.transaction(async (m) => {
        await m.query(`SET LOCAL session_replication_role = replica`);
        await m.query(`UPDATE ledger_seals SET hash = '\\x00' WHERE tenant_id = $1`, [third.tenantId]);
      });
      expect((await ledger.verify(third.tenantId)).chainIntact).toBe(false);
    });
  });

  it('stores text exactly as given: quotes, backslashes, braces, commas, newlines, Chinese, in memo, metadata and source', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const odd = 'say "hi", {x} \\ back\\slash\n第二行 孝善 NULL';
    const metadata = { note: odd, nested: { q: '"', b: '\\', arr: ['{', '}', ','] }, n: 1.5 };
    const o = await ledger.submit(req('issue', issuer, hhRef(hh), '2.50', { memo: odd, metadata, source: { type: 'rec"ord', id: 'a,b{c}' } }));
    expect(o.kind).toBe('posted');
    const id = (o as any).transaction.id;
    const [row] = await db.query(`SELECT memo, metadata, source_type, source_id FROM ledger_transactions WHERE tenant_id = $1 AND id = $2`, [c.tenantId, id]);
    expect(row).toEqual({ memo: odd, metadata, source_type: 'rec"ord', source_id: 'a,b{c}' });
    expect(await ledger.verify(c.tenantId)).toMatchObject({ chainIntact: true, balancesMatchEntries: true });
  });

  it('stores the hash of the request with the idempotency key', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const key = newIdempotencyKey();
    const body = { asset: 'CONDUCT', from: 'issuer' as const, to: { type: 'household' as const, id: hh }, amount: '1.00', memo: 'h' };
    await ledger.transfer(admin, body, key, body);
    const [row] = await db.query(`SELECT request_hash, status_code FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, [c.tenantId, key]);
    expect(row.status_code).toBe(201);
    expect(row.request_hash.equals(requestHash('POST /v1/transfers', body))).toBe(true);
  });
});

describe('seal chain ordering (integration)', () => {
  it('links seals numerically past seal 9 (not in text order)', async () => {
    const t = await startTestApp();
    try {
      const c = await makeCounty(t);
      const ledger = ledgerOf(t.app);
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      for (let i = 0; i < 12; i++) {
        await ledger.submit({
          tenantId: c.tenantId, kind: 'issue', memo: `#${i}`, metadata: {}, actor: 'test',
          entries: [
            { account: { holderType: 'system', holderId: 'issuer', asset: 'CONDUCT' }, amount: new Decimal(-1) },
            { account: { holderType: 'household', holderId: hh, asset: 'CONDUCT' }, amount: new Decimal(1) },
          ],
        });
        // One seal per transaction. The horizon is cluster-wide, so another
        // test's open transaction can hold it back for a moment: wait it out.
        const count = async () => (await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ledger_seals WHERE tenant_id = $1`, [c.tenantId]))[0].n;
        const before = await count();
        for (let tries = 0; tries < 200 && (await count()) === before; tries++) {
          await ledger.sealAll();
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      const seals = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ledger_seals WHERE tenant_id = $1`, [c.tenantId]);
      expect(seals[0].n).toBe(12);
      expect(await ledger.verify(c.tenantId)).toMatchObject({ chainIntact: true, checkedTransactions: 12, problems: [] });
    } finally {
      await t.close();
    }
  });
});

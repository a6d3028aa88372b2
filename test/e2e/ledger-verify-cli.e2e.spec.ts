import { spawn } from 'child_process';
import * as path from 'path';
import { Client } from 'pg';
import { databaseUrl, TEMPLATE_DB } from '../helpers/test-db';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

const ROOT = path.join(__dirname, '..', '..');

function verifyCli(url: string, args: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/ledger-verify.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, TS_NODE_PROJECT: 'test/tsconfig.json', DATABASE_URL: url, ADMIN_TOKEN: 'x'.repeat(20), PII_KEY: 'y'.repeat(40) },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** npm run ledger:verify, on a database of its own (it checks every tenant). */
describe('ledger:verify CLI (e2e)', () => {
  const db = `jifen_cli_w${process.env.JEST_WORKER_ID ?? '1'}`;
  const adminUrl = process.env.JIFEN_TEST_ADMIN_URL!;
  let admin: Client;
  let t: TestApp;

  beforeAll(async () => {
    admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${db} TEMPLATE ${TEMPLATE_DB}`);
    t = await startTestApp({ databaseUrl: databaseUrl(adminUrl, db) });
  });
  afterAll(async () => {
    await t.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it('passes on a sound ledger and fails, naming the problem, on a tampered one', async () => {
    const c = await makeCounty(t);
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    for (const amount of ['5', '6']) {
      const res = await t.http().post('/v1/transfers').set(bearer(c.keys.admin)).set('Idempotency-Key', newIdempotencyKey())
        .send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh }, amount, memo: 'cli' });
      expect(res.status).toBe(201);
    }
    const ok = await verifyCli(databaseUrl(adminUrl, db));
    expect(ok.out).toContain('试算平衡 (balanced):                通过');
    expect(ok.out).toMatch(/已核对交易 \(checkedTransactions\):\s+2/);
    expect(ok.code).toBe(0);

    const c2 = new Client({ connectionString: databaseUrl(adminUrl, db) });
    await c2.connect();
    await c2.query(`BEGIN; SET LOCAL session_replication_role = replica; UPDATE ledger_transactions SET memo = 'forged'; COMMIT`);
    await c2.end();
    const bad = await verifyCli(databaseUrl(adminUrl, db));
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('哈希链完整 (chainIntact):            不通过');
    expect(bad.out).toContain('does not match its hash');
  }, 60_000);

  it('a published board prints the ledger\'s seal; --anchor checks that the chain still passes through it, and fails once sealed history is rewritten', async () => {
    const c = await makeCounty(t, databaseUrl(adminUrl, db));
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const transfer = async (amount: string) => {
      const res = await t.http().post('/v1/transfers').set(bearer(c.keys.admin)).set('Idempotency-Key', newIdempotencyKey())
        .send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh }, amount, memo: 'anchor' });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const before = await transfer('7');
    const board = await t.http().post('/v1/boards').set(bearer(c.keys.reviewer)).send({ villageCode: c.villages[0], period: '2026-11' });
    expect(board.status).toBe(201);
    const published = await t.http().post(`/v1/boards/${board.body.id}/publish`).set(bearer(c.keys.reviewer));
    expect(published.status).toBe(200);
    const anchor = published.body.ledgerAnchor;
    expect(anchor).toMatchObject({ shortHash: expect.stringMatching(/^[0-9a-f]{16}$/), lastTransactionId: before, publication: { type: 'board', id: board.body.id } });
    expect(anchor.sealHash.startsWith(anchor.shortHash)).toBe(true);

    // Printed on the board, listed publicly, without a key.
    const page = await t.http().get(`/public/boards/${c.villages[0]}/2026-11`).set('Accept', 'text/html');
    expect(page.text).toContain(`账本封存指纹 ${anchor.shortHash}`);
    const listed = await t.http().get(`/public/ledger/anchors?tenant=${c.county}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items[0]).toEqual(anchor);
    expect((await t.http().get(`/public/ledger/anchors?tenant=${c.tenantId}`)).body.items[0]).toEqual(anchor);
    expect((await t.http().get('/public/ledger/anchors?tenant=999999')).status).toBe(404);
    expect((await t.http().get('/public/ledger/anchors?tenant=x')).status).toBe(400);

    await transfer('8'); // postings after the publication do not disturb the anchor
    const ok = await verifyCli(databaseUrl(adminUrl, db), ['--anchor', anchor.shortHash]);
    expect(ok.out).toContain('通过：今天的哈希链仍经过这个封存');
    expect(ok.code).toBe(0);
    expect((await verifyCli(databaseUrl(adminUrl, db), ['--anchor', 'zz'])).code).toBe(2);

    const c2 = new Client({ connectionString: databaseUrl(adminUrl, db) });
    await c2.connect();
    try {
      // A rewrite of a transaction sealed before the publication breaks the chain.
      const asOwnerBypassingTriggers = async (sql: string, params: unknown[]) => {
        await c2.query('BEGIN');
        await c2.query('SET LOCAL session_replication_role = replica');
        await c2.query(sql, params);
        await c2.query('COMMIT');
      };
      await asOwnerBypassingTriggers(`UPDATE ledger_transactions SET memo = 'rewritten' WHERE id = $1`, [before]);
      const tampered = await verifyCli(databaseUrl(adminUrl, db), ['--anchor', anchor.shortHash]);
      expect(tampered.code).toBe(1);
      expect(tampered.out).toContain(`transaction ${before} does not match its hash`);
      // Re-sealed to hide it, the chain no longer passes through the printed seal.
      await asOwnerBypassingTriggers(`UPDATE ledger_transactions SET memo = 'anchor' WHERE id = $1`, [before]);
      await asOwnerBypassingTriggers(`UPDATE ledger_seals SET hash = sha256(hash) WHERE tenant_id = $1`, [c.tenantId]);
      const resealed = await verifyCli(databaseUrl(adminUrl, db), ['--anchor', anchor.shortHash]);
      expect(resealed.code).toBe(1);
      expect(resealed.out).toContain('今天的账本里没有这个封存指纹');
    } finally {
      await c2.end();
    }
  }, 90_000);

  it('an unrelated transaction left open elsewhere in the cluster (xids are shared) does not leave the last posting out of a publication\'s anchor', async () => {
    const c = await makeCounty(t, databaseUrl(adminUrl, db));
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    // Another database's transaction takes an xid first and stays open: the sealer's horizon stops below every later posting.
    const other = new Client({ connectionString: adminUrl });
    await other.connect();
    await other.query('BEGIN');
    await other.query('SELECT pg_current_xact_id()');
    try {
      const posted = await t.http().post('/v1/transfers').set(bearer(c.keys.admin)).set('Idempotency-Key', newIdempotencyKey())
        .send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh }, amount: '3', memo: 'held horizon' });
      expect(posted.status).toBe(201);
      const board = await t.http().post('/v1/boards').set(bearer(c.keys.reviewer)).send({ villageCode: c.villages[0], period: '2026-10' });
      const release = setTimeout(() => void other.query('COMMIT'), 400);
      const published = await t.http().post(`/v1/boards/${board.body.id}/publish`).set(bearer(c.keys.reviewer));
      clearTimeout(release);
      expect(published.status).toBe(200);
      expect(published.body.ledgerAnchor).toMatchObject({ lastTransactionId: posted.body.id });
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
    }
  }, 60_000);
});

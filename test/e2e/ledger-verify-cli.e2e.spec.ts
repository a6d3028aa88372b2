import { spawn } from 'child_process';
import * as path from 'path';
import { Client } from 'pg';
import { databaseUrl, TEMPLATE_DB } from '../helpers/test-db';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

const ROOT = path.join(__dirname, '..', '..');

function verifyCli(url: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/ledger-verify.ts'], {
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
});

import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { rawRequest } from '../helpers/raw-http';
import { workerDbUrl } from '../helpers/test-db';
import { bearer, startTestApp, TEST_ADMIN_TOKEN, TEST_PII_KEY } from '../helpers/test-app';
import { makeCounty, makeHousehold } from '../helpers/fixtures';

const ROOT = path.join(__dirname, '..', '..');
jest.setTimeout(120_000);

/** The service as a real process: signalled, crashed, and what it answered and wrote (issue 16). */
describe('the process: clean shutdown, crashes that end it (e2e)', () => {
  let port = 39100 + 10 * Number(process.env.JEST_WORKER_ID ?? '1');
  let base = '';
  const children: { kill: () => void }[] = [];
  afterEach(() => children.splice(0).forEach((c) => c.kill()));

  const start = () => {
    port++; // a port of its own per process: a failed test's child never blocks the next
    base = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'test/helpers/serve-child.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, TS_NODE_PROJECT: 'test/tsconfig.json', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: workerDbUrl(), ADMIN_TOKEN: TEST_ADMIN_TOKEN, PII_KEY: TEST_PII_KEY, DEMO: 'false', MIGRATIONS_RUN: 'false', SHUTDOWN_GRACE_MS: '20000' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    children.push({ kill: () => child.exitCode === null && child.kill('SIGKILL') });
    const ready = async () => {
      for (let i = 0; i < 150; i++) {
        if (out.includes('服务已启动')) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`did not start:\n${out}`);
    };
    return { child, exited, ready, output: () => out };
  };

  const request = (method: string, url: string, headers: Record<string, string>, body?: Buffer) => rawRequest(base, method, url, headers, body);

  it('SIGTERM: the import in flight finishes and is answered, new connections are refused, everything it entered is there, exit 0', async () => {
    // The county is made in-process on the same database; the process serves it.
    const t = await startTestApp({ jobs: false });
    const c = await makeCounty(t);
    const program = JSON.parse(readFileSync(path.join(ROOT, 'config', 'programs', 'kaizhou-guanmian-conduct.json'), 'utf8'));
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({ ...program, regionCode: c.county, effectiveFrom: '2026-01-01' });
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin));
    const households = await Promise.all(Array.from({ length: 20 }, (_, i) => makeHousehold(t, c.keys.clerk, c.villages[0], `停机户${i}`)));
    await t.close();

    const p = start();
    await p.ready();
    const lines = Array.from({ length: 20_000 }, (_, i) => `household,${households[i % 20]},R05,0.5,2026-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')},停机`);
    const csv = Buffer.from(['holderType,holderId,ruleCode,quantity,occurredOn,note', ...lines].join('\n'));
    const importing = request('POST', '/v1/records/import?partial=true', { ...bearer(c.keys.clerk), 'Content-Type': 'text/csv' }, csv);
    await new Promise((r) => setTimeout(r, 400));
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const refused = await request('GET', '/health', {}).then(() => 'answered', (e) => e.code);
    expect(refused).toBe('ECONNREFUSED');
    const imported = await importing;
    expect(imported.status).toBe(201);
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('已停止');
    const db = new Client({ connectionString: workerDbUrl() });
    await db.connect();
    try {
      const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM records WHERE tenant_id = $1 AND import_id = $2`, [c.tenantId, imported.body.importId])).rows;
      expect(n).toBe(imported.body.accepted);
      expect(imported.body.accepted + imported.body.rejected.length).toBe(20_000);
      // Nothing half-written: every record the answer counts is there, waiting for its reviewer.
      const states = (await db.query(`SELECT status, count(*)::int AS n FROM records WHERE tenant_id = $1 AND import_id = $2 GROUP BY status`, [c.tenantId, imported.body.importId])).rows;
      expect(states).toEqual([{ status: 'submitted', n }]);
    } finally {
      await db.end();
    }
  });

  for (const [route, kind] of [['/_test/crash', 'unhandled rejection'], ['/_test/throw', 'uncaught exception']]) {
    it(`an ${kind} inside a request is logged with the request's id and ends the process with exit code 1`, async () => {
      const p = start();
      await p.ready();
      const id = `crash-${Date.now()}`;
      const answer = await request('GET', route, { 'X-Request-Id': id }).then((r) => r.status, (e) => e.code);
      expect(answer).not.toBe(200); // it never gets to answer "survived"
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
      if (code !== 1) process.stdout.write(p.output());
      expect(code).toBe(1);
      expect(p.output()).toContain(kind);
      expect(p.output()).toContain(id);
    });
  }
});

import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { DemoLoader } from '../../src/demo/demo-loader';
import { runTour } from '../../scripts/tour-story';
import { startTestApp, TestApp } from '../helpers/test-app';

jest.setTimeout(120_000);

/** The demo county (at a tenth of its size) and the guided tour's whole story, over real HTTP. */
describe('the demo county and the guided tour (e2e)', () => {
  let t: TestApp;
  let dir: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    dir = mkdtempSync(path.join(tmpdir(), 'jifen-demo-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the demo through the services, once; a second load changes nothing', async () => {
    const lines: string[] = [];
    const loader = new DemoLoader(t.app, dir, (l) => lines.push(l));
    const first = await loader.load(path.join(__dirname, '..', '..', 'config'), { scale: 0.1 });
    expect(first.loaded).toBe(true);
    expect(Object.keys(first.facts!.keys).sort()).toEqual(['admin', 'auditor', 'bank', 'clerk', 'organizer', 'reviewer', 'shopkeeper']);
    expect(lines.some((l) => l.includes('加载完成'))).toBe(true);
    const db = t.app.get(DataSource);
    const count = async () =>
      (await db.query(
        `SELECT (SELECT count(*) FROM households WHERE tenant_id = $1)::int AS households, (SELECT count(*) FROM ledger_transactions WHERE tenant_id = $1)::int AS txs,
                (SELECT count(*) FROM records WHERE tenant_id = $1 AND status = 'posted')::int AS posted, (SELECT count(*) FROM redemptions WHERE tenant_id = $1)::int AS redemptions,
                (SELECT count(*) FROM settlements WHERE tenant_id = $1 AND status = 'paid')::int AS settlements, (SELECT count(*) FROM boards WHERE tenant_id = $1 AND status = 'published')::int AS boards,
                (SELECT count(*) FROM grade_runs WHERE tenant_id = $1 AND status = 'published')::int AS runs`,
        [first.facts!.tenantId],
      ))[0];
    const before = await count();
    expect(before).toMatchObject({ households: 32, settlements: 1, boards: 4, runs: 1 });
    expect(before.posted).toBeGreaterThan(20);
    expect(before.redemptions).toBeGreaterThan(0);
    const second = await new DemoLoader(t.app, dir, () => undefined).load(path.join(__dirname, '..', '..', 'config'), { scale: 0.1 });
    expect(second.loaded).toBe(false);
    expect(second.facts).toEqual(first.facts);
    expect(await count()).toEqual(before);
  });

  it('walks every user\'s story over HTTP, twice', async () => {
    const facts = new DemoLoader(t.app, dir, () => undefined).readFacts()!;
    const transcript: string[] = [];
    await runTour(base, facts, (l) => transcript.push(l));
    expect(transcript.filter((l) => l.trim().startsWith('▶'))).toHaveLength(13);
    expect(transcript.join('\n')).toContain('▶ 县中心导入纸质台账');
    // People sign in as users (only the bank's system uses its key), and the trails name them.
    expect(transcript.filter((l) => /登录 → 201/.test(l))).toHaveLength(6);
    expect(transcript.find((l) => l.includes('记录留痕'))).toMatch(/submitted（王文书）.*in_notice（李站长）/);
    expect(transcript[transcript.length - 1]).toContain('Tour complete');
    await runTour(base, facts, () => undefined); // it can be run again on the same county
  });
});

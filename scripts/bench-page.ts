/**
 * npm run bench:page — the villagers' household page under 50 phones at once,
 * on the demo county (300 households, as `npm start` loads it), on a fresh
 * embedded PostgreSQL with fsync on. 50 clients in a process of their own open
 * pages of random households (HTML, as a phone does; no HTTP cache in front,
 * so every page is rendered by the service) for BENCH_PAGE_SECONDS (20). The
 * reference, measured in the same run by the same clients: `GET /health` (one
 * query), the floor of this stack on this machine. Reports p50, p95, p99 and
 * pages per second, and the p95 ratio to the reference.
 */
import 'reflect-metadata';
import { execFile } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { createApp } from '../src/app.factory';
import type { KeyPrincipal } from '../src/auth/principal';
import { DemoLoader } from '../src/demo/demo-loader';
import { HoldersService } from '../src/holders/holders.service';
import { benchDatabase, machine, recreateDatabase, say, benchConfig } from './lib/bench-env';

const SECONDS = Number(process.env.BENCH_PAGE_SECONDS ?? 20);
const PHONES = Number(process.env.BENCH_PAGE_PHONES ?? 50);

interface Load { count: number; statuses: Record<string, number>; p50: number | null; p95: number | null; p99: number | null; max: number | null }

function load(base: string, paths: string[], dir: string, seconds: number): Promise<Load> {
  const file = path.join(dir, `paths-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(paths));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '-P', path.join(__dirname, '..', 'test', 'tsconfig.json'), path.join(__dirname, 'lib', 'page-load.ts'), base, file, String(PHONES), String(seconds)],
      { maxBuffer: 1 << 20 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as Load)),
    );
  });
}

async function main(): Promise<void> {
  say(`machine: ${machine()}`);
  const db = await benchDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'jifen-page-'));
  try {
    await recreateDatabase(db, 'jifen_bench');
    const app = await createApp(
      benchConfig(db, { JOBS: false }),
    );
    await app.init();
    say('loading the demo county …');
    const facts = (await new DemoLoader(app, dir, () => undefined).load(path.join(__dirname, '..', 'config'), {})).facts!;
    const admin: KeyPrincipal = { kind: 'key', keyId: randomUUID(), tenantId: facts.tenantId, role: 'admin', scopeRegionCode: facts.county, shopId: null, bankId: null, actor: { type: 'key', id: randomUUID(), name: 'bench' } };
    const holders = app.get(HoldersService);
    const villages = (await holders.villagesWithHouseholds(facts.tenantId)).map((v) => v.villageCode);
    const paths: string[] = [];
    for (const v of villages) for (const card of await holders.cards(admin, { villageCode: v })) paths.push(`/h/${card.token}`);
    paths.sort(() => Math.random() - 0.5);
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    say(`${paths.length} household pages; warming up …`);
    await load(base, paths, dir, 3);
    say(`reference: GET /health by ${PHONES} clients for ${SECONDS} s …`);
    const health = await load(base, ['/health'], dir, SECONDS);
    say(`household pages by ${PHONES} phones for ${SECONDS} s …`);
    const pages = await load(base, paths, dir, SECONDS);
    await app.close();
    const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);
    const row = (name: string, r: Load) => `| ${name} | ${(r.count / SECONDS).toFixed(0)}/s | ${JSON.stringify(r.statuses)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} |`;
    process.stdout.write(
      [
        '',
        `| ${PHONES} clients, ${SECONDS} s | throughput | statuses | p50 | p95 | p99 | max |`,
        '|---|---|---|---|---|---|---|',
        row('GET /health (reference)', health),
        row('GET /h/{token} (HTML)', pages),
        '',
        `p95 of the household page / p95 of /health: ${pages.p95 && health.p95 ? (pages.p95 / health.p95).toFixed(2) + '×' : 'n/a'}`,
        '',
      ].join('\n'),
    );
    if (Object.keys(pages.statuses).some((s) => s !== '200')) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});

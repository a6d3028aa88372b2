/**
 * npm run bench:mixed — a shop redeeming at 20 a second over 1,000 households,
 * for 60 s alone, then for 60 s while a clerk imports a 200,000-line CSV and a
 * reviewer approves it, which posts it (the month-end hang of issue 16; the two
 * steps of issue 18). The service runs as
 * `npm start` would (default pools and waits, jobs on) on a fresh embedded
 * PostgreSQL with fsync on; the redemptions come from a process of their own
 * (scripts/lib/redeem-load.ts), open loop. Reported for each phase: p50, p99,
 * max and the number never answered (within 120 s), and the import's time.
 * The reference is the same redemptions without the import, measured in the
 * same run. Target: every redemption answered, p99 during the import ≤ 3×
 * alone. BENCH_MIXED_SECONDS, BENCH_MIXED_RATE and BENCH_MIXED_LINES change
 * the run.
 */
import 'reflect-metadata';
import { execFile } from 'child_process';
import { randomUUID } from 'crypto';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { monitorEventLoopDelay } from 'perf_hooks';
import { tmpdir } from 'os';
import * as path from 'path';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { ApiKeysService } from '../src/auth/api-keys.service';
import { KeyPrincipal } from '../src/auth/principal';
import { HoldersService } from '../src/holders/holders.service';
import type { AccountRef, PostingRequest } from '../src/ledger/domain/model';
import { ledgerOf } from '../test/helpers/ledger';
import { FundsService } from '../src/funds/funds.service';
import { ShopsService } from '../src/redemption/shops.service';
import { RuleSetsService } from '../src/rules/rulesets.service';
import { TenancyService } from '../src/tenancy/tenancy.service';
import { benchDatabase, machine, recreateDatabase, say, benchConfig } from './lib/bench-env';

const SECONDS = Number(process.env.BENCH_MIXED_SECONDS ?? 60);
const RATE = Number(process.env.BENCH_MIXED_RATE ?? 20);
const LINES = Number(process.env.BENCH_MIXED_LINES ?? 200_000);
const HOUSEHOLDS = 1000;

interface LoadResult { sent: number; answered: number; unanswered: number; statuses: Record<string, number>; p50: number | null; p99: number | null; max: number | null }

function redemptions(base: string, key: string, shopId: string, householdsFile: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '-P', path.join(__dirname, '..', 'test', 'tsconfig.json'), path.join(__dirname, 'lib', 'redeem-load.ts'), base, key, shopId, householdsFile, String(SECONDS), String(RATE)],
      { maxBuffer: 1 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!))),
    );
  });
}

function send(url: string, key: string, type: string, length: number, body: (req: http.ClientRequest) => void): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': type, 'Content-Length': length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    body(req);
  });
}

/** The clerk uploads the file; the reviewer approves the import, which posts it. */
async function importThenApprove(base: string, clerkKey: string, reviewerKey: string, file: string) {
  const started = Date.now();
  const entered = await send(`${base}/v1/records/import`, clerkKey, 'text/csv', statSync(file).size, (req) => createReadStream(file).pipe(req));
  const enteredSeconds = (Date.now() - started) / 1000;
  if (entered.status !== 201) return { status: entered.status, accepted: 0, posted: 0, enteredSeconds, seconds: enteredSeconds };
  const approval = Buffer.from(JSON.stringify({ approvalRef: '基准测试评议会' }));
  const approved = await send(`${base}/v1/records/imports/${entered.body.importId}/approve`, reviewerKey, 'application/json', approval.length, (req) => req.end(approval));
  return { status: approved.status, accepted: entered.body.accepted as number, posted: approved.body.posted as number, enteredSeconds, seconds: (Date.now() - started) / 1000 };
}

const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} ms`);

async function main(): Promise<void> {
  say(`machine: ${machine()}`);
  const db = await benchDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'jifen-mixed-'));
  try {
    await recreateDatabase(db, 'jifen_bench');
    // As `npm start` runs it: default pools and waits, the scheduled jobs on.
    const config = benchConfig(db, { LOG_LEVEL: 'warn' });
    const app = await createApp(config);
    await app.init();
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const ds = app.get(DataSource);
    const tenant = await app.get(TenancyService).createTenant({ regionCode: '500154', name: '基准测试县' });
    await ds.query(`INSERT INTO regions (tenant_id, code, name, level, parent_code) VALUES ($1, '500154101', '乡', 'township', '500154'), ($1, '500154101001', '村', 'village', '500154101')`, [tenant.id]);
    const admin: KeyPrincipal = { kind: 'key', keyId: randomUUID(), tenantId: tenant.id, role: 'admin', scopeRegionCode: '500154', shopId: null, bankId: null, actor: { type: 'key' as const, id: randomUUID(), name: 'test' } };
    // One household through the service (its PIN hashed), the others sharing that hash.
    const first = await app.get(HoldersService).createHousehold(admin, { villageCode: '500154101001', headName: '户主', pin: '123456' } as never);
    const households = [first.id, ...Array.from({ length: HOUSEHOLDS - 1 }, () => randomUUID())];
    await ds.query(
      `INSERT INTO households (tenant_id, id, village_code, head_name, pin_hash, no)
       SELECT $1, u.h, '500154101001', '户主', (SELECT pin_hash FROM households WHERE tenant_id = $1 AND id = $3), '500154101001-' || lpad((u.n + 1000)::text, 4, '0')
         FROM unnest($2::uuid[]) WITH ORDINALITY AS u(h, n)`,
      [tenant.id, households.slice(1), first.id],
    );
    const ledger = ledgerOf(app);
    const issuer: AccountRef = { holderType: 'system', holderId: 'issuer', asset: 'CONDUCT' };
    const opening = (h: string): PostingRequest => ({
      tenantId: tenant.id, kind: 'issue', memo: 'bench', metadata: {}, actor: 'bench',
      entries: [{ account: issuer, amount: new Decimal('-100000') }, { account: { holderType: 'household', holderId: h, asset: 'CONDUCT', regionCode: '500154101001' }, amount: new Decimal('100000') }],
    });
    await Promise.all(households.map((h) => ledger.submit(opening(h))));
    const rules = app.get(RuleSetsService);
    const set = await rules.create(admin, { regionCode: '500154', asset: 'CONDUCT', name: '基准', effectiveFrom: '2026-01-01', items: [{ code: 'B01', name: '基准条目', direction: 'credit', points: '1', noticeDays: 0 }] } as never);
    await rules.activate(admin, set.id);
    const fund = await app.get(FundsService).create(admin, { name: '基金', regionCode: '500154' } as never);
    const shop = await app.get(ShopsService).create(admin, { name: '积分超市', regionCode: '500154', acceptedAssets: ['CONDUCT'], rates: { CONDUCT: '0.1' }, fundId: fund.id } as never);
    await app.get(ShopsService).addItem({ ...admin, role: 'admin' }, shop.id, { sku: 'SOAP', name: '肥皂', asset: 'CONDUCT', price: '1', stock: 1_000_000 } as never);
    const keys = app.get(ApiKeysService);
    const platform = { kind: 'platform' as const };
    const shopKey = (await keys.issue(platform, { tenantId: tenant.id, name: 'bench shop', role: 'shopkeeper', shopId: shop.id } as never)).apiKey;
    const reviewerKey = (await keys.issue(platform, { tenantId: tenant.id, name: 'bench reviewer', role: 'reviewer' } as never)).apiKey;
    const clerkKey = (await keys.issue(platform, { tenantId: tenant.id, name: 'bench clerk', role: 'clerk' } as never)).apiKey;
    const householdsFile = path.join(dir, 'households.json');
    writeFileSync(householdsFile, JSON.stringify(households));
    const csv = path.join(dir, 'month.csv');
    const lines = ['holderType,holderId,ruleCode,quantity,occurredOn,note'];
    for (let i = 0; i < LINES; i++) lines.push(`household,${households[i % HOUSEHOLDS]},B01,1,2026-03-${String((i % 28) + 1).padStart(2, '0')},月底`);
    writeFileSync(csv, lines.join('\n') + '\n');
    await ds.query('ANALYZE');

    say(`phase 1: ${RATE} redemptions a second for ${SECONDS} s, alone …`);
    const alone = await redemptions(base, shopKey, shop.id, householdsFile);
    say(`alone: ${JSON.stringify(alone)}`);

    say(`phase 2: the same, while a clerk imports ${LINES} lines and a reviewer approves them …`);
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const [during, imported] = await Promise.all([redemptions(base, shopKey, shop.id, householdsFile), importThenApprove(base, clerkKey, reviewerKey, csv)]);
    lag.disable();
    say(`the service's event loop during phase 2: delay p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`);
    say(`during: ${JSON.stringify(during)}`);
    say(`import: entered in ${imported.enteredSeconds.toFixed(1)} s, approved and posted (${imported.status}) by ${imported.seconds.toFixed(1)} s; accepted ${imported.accepted}, posted ${imported.posted}`);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM records WHERE tenant_id = $1 AND status = 'posted'`, [tenant.id]);
    await ledger.sealAll();
    const verify = await ledger.verify(tenant.id);
    await app.close();

    const ratio = alone.p99 && during.p99 ? during.p99 / alone.p99 : null;
    const met = alone.unanswered === 0 && during.unanswered === 0 && ratio !== null && ratio <= 3;
    process.stdout.write(
      [
        '',
        `| phase (${RATE}/s for ${SECONDS} s) | answered | unanswered | statuses | p50 | p99 | max |`,
        '|---|---|---|---|---|---|---|',
        `| redemptions alone | ${alone.answered} / ${alone.sent} | ${alone.unanswered} | ${JSON.stringify(alone.statuses)} | ${ms(alone.p50)} | ${ms(alone.p99)} | ${ms(alone.max)} |`,
        `| redemptions during the import | ${during.answered} / ${during.sent} | ${during.unanswered} | ${JSON.stringify(during.statuses)} | ${ms(during.p50)} | ${ms(during.p99)} | ${ms(during.max)} |`,
        '',
        `import of ${LINES} lines, then its approval by a second key: ${imported.status} in ${imported.seconds.toFixed(1)} s (entry ${imported.enteredSeconds.toFixed(1)} s); ${n} records posted`,
        `p99 during / alone: ${ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`} (target ≤ 3×, every redemption answered): ${met ? 'met' : 'NOT met'}`,
        `verify: ${JSON.stringify(verify)}`,
        '',
      ].join('\n'),
    );
    if (!met || n !== LINES || !verify.balanced || !verify.balancesMatchEntries) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});

/**
 * npm run bench:golive — a county's paper history through a go-live migration:
 * opening balances of 1,000 households a year back, BENCH_LINES historical
 * records (default 200,000) and a tenth as many past volunteer hours, each
 * uploaded as a streamed CSV (generated, never held whole in memory), then the
 * control totals, then approval by a second admin in one transaction. Reported
 * as postings per second from approval's start to its commit, as a ratio to
 * pgbench tpcb-like measured in the same run on the same PostgreSQL (fsync
 * on), with each step's time, the process's peak RSS and the live heap (after
 * a forced collection, every 2 s) during the uploads and the approval.
 * Afterwards every line must be posted, the village's balance must equal the
 * control total, and the ledger must verify.
 */
import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { KeyPrincipal } from '../src/auth/principal';
import { GoLiveService } from '../src/golive/golive.service';
import { HoldersService } from '../src/holders/holders.service';
import { LedgerAudit } from '../src/ledger/ledger-audit.service';
import { idCheckDigit } from '../src/platform/crypto/pii';
import { addDays, shanghaiToday } from '../src/platform/util/business-date';
import { RuleSetsService } from '../src/rules/rulesets.service';
import { TenancyService } from '../src/tenancy/tenancy.service';
import { benchDatabase, machine, pgbenchTps, postgresCpuSeconds, recreateDatabase, say, benchConfig } from './lib/bench-env';

const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const HOURS = Math.round(LINES / 10);
const HOUSEHOLDS = 1000;
const PEOPLE = 200;
const VILLAGE = '500154101001';

async function main(): Promise<void> {
  say(`machine: ${machine()}`);
  const db = await benchDatabase();
  try {
    const pgTps = (await pgbenchTps(db, 8, Number(process.env.BENCH_SECONDS ?? 15)))?.tps ?? null;
    if (pgTps !== null) say(`pgbench tpcb-like: ${pgTps.toFixed(0)} TPS`);
    await recreateDatabase(db, 'jifen_bench');
    const app = await createApp(
      benchConfig(db, { JOBS: false }),
    );
    await app.init();
    const ds = app.get(DataSource);
    const golive = app.get(GoLiveService);
    const tenant = await app.get(TenancyService).createTenant({ regionCode: '500154', name: '基准测试县' });
    await ds.query(`INSERT INTO regions (tenant_id, code, name, level, parent_code) VALUES ($1, '500154101', '乡', 'township', '500154'), ($1, $2, '村', 'village', '500154101')`, [tenant.id, VILLAGE]);
    const actor = (name: string) => ({ type: 'key' as const, id: randomUUID(), name });
    const drafter: KeyPrincipal = { kind: 'key', keyId: randomUUID(), tenantId: tenant.id, role: 'admin', scopeRegionCode: '500154', shopId: null, bankId: null, actor: actor('drafter') };
    const approver: KeyPrincipal = { ...drafter, keyId: randomUUID(), actor: actor('approver') };
    const today = shanghaiToday();
    const set = await app.get(RuleSetsService).create(drafter, {
      regionCode: '500154', asset: 'CONDUCT', name: '纸质时期细则', effectiveFrom: addDays(today, -800),
      items: [
        { code: 'R01', name: '孝老爱亲', direction: 'credit', points: '2' },
        { code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '1' },
      ],
    });
    await app.get(RuleSetsService).activate(drafter, set.id);
    const households = Array.from({ length: HOUSEHOLDS }, (_, i) => `${VILLAGE}-${String(i + 1).padStart(4, '0')}`);
    await ds.query(
      `INSERT INTO households (tenant_id, id, village_code, head_name, no, enrolled_on) SELECT $1, gen_random_uuid(), $2, '户主', n, $3::date FROM unnest($4::varchar[]) AS n`,
      [tenant.id, VILLAGE, addDays(today, -800), households],
    );
    const people: string[] = [];
    for (let i = 0; i < PEOPLE; i++) {
      const first17 = `51010119800101${String(i).padStart(3, '0')}`;
      people.push(first17 + idCheckDigit(first17));
      await app.get(HoldersService).createPerson(drafter, { name: `志愿者${i}`, regionCode: VILLAGE, idNumber: people[i] });
    }
    await ds.query('ANALYZE');

    const heap: number[] = [];
    let sampling = 0;
    const sampler = setInterval(() => {
      const t0 = Date.now();
      (globalThis as { gc?: () => void }).gc?.();
      sampling += Date.now() - t0;
      heap.push(process.memoryUsage().heapUsed / 1024 / 1024);
    }, 2000);
    /** A CSV generated 500 lines at a time. */
    async function* csv(header: string, n: number, line: (i: number) => string): AsyncGenerator<Buffer> {
      yield Buffer.from(header + '\n');
      for (let i = 0; i < n; i += 500) {
        yield Buffer.from(Array.from({ length: Math.min(500, n - i) }, (_, k) => line(i + k)).join('\n') + '\n');
      }
    }
    const yearAgo = addDays(today, -365);
    let expected = 0;
    const migration = await golive.create(drafter, { name: '基准村 2025–2026 积分台账', reference: '基准' });
    const timed = async <T>(what: string, f: () => Promise<T>): Promise<[T, number]> => {
      const t0 = Date.now();
      const out = await f();
      const s = (Date.now() - t0) / 1000;
      say(`${what}: ${s.toFixed(1)} s`);
      return [out, s];
    };
    const [opening] = await timed(`opening balances of ${HOUSEHOLDS} households`, () =>
      golive.uploadOpeningBalances(drafter, migration.id, csv('户号,积分种类,余额,截至日期', HOUSEHOLDS, (i) => ((expected += 50), `${households[i]},CONDUCT,50,${yearAgo}`)), undefined),
    );
    // Every fourth decision a deduction; days spread over the year since the opening balances.
    const [records, recordsUpload] = await timed(`${LINES} historical records uploaded and checked`, () =>
      golive.uploadRecords(
        drafter, migration.id,
        csv('户号,事项代码,数量,发生日期,备注', LINES, (i) => {
          const debit = i % 4 === 3;
          expected += debit ? -1 : 2;
          return `${households[i % HOUSEHOLDS]},${debit ? 'Y01' : 'R01'},1,${addDays(yearAgo, 1 + (i % 360))},纸质台账`;
        }),
        undefined,
      ),
    );
    const [hours, hoursUpload] = await timed(`${HOURS} past volunteer hours uploaded and checked`, () =>
      golive.uploadServiceHours(drafter, migration.id, csv('身份证号,服务内容,服务日期,时长', HOURS, (i) => `${people[i % PEOPLE]},清扫村道,${addDays(yearAgo, 1 + (i % 360))},2`), undefined),
    );
    const uploadHeap = [...heap];
    heap.length = 0;
    await golive.controlTotals(drafter, migration.id, { totals: [{ villageCode: VILLAGE, asset: 'CONDUCT', balance: String(expected) }] });
    const nodeCpu0 = process.cpuUsage();
    const pgCpu0 = postgresCpuSeconds();
    sampling = 0;
    const [applied, approvalSeconds] = await timed('approval, in one transaction', () => golive.approve(approver, migration.id));
    clearInterval(sampler);
    const nodeCpu = process.cpuUsage(nodeCpu0);
    const pgCpu1 = postgresCpuSeconds();
    const postings = applied.transactions;
    const seconds = approvalSeconds - sampling / 1000;
    const perSecond = postings / seconds;
    const [{ balance }] = await ds.query(`SELECT sum(balance)::text AS balance FROM ledger_holder_balances WHERE tenant_id = $1 AND region_code = $2 AND asset_code = 'CONDUCT'`, [tenant.id, VILLAGE]);
    const [{ n: hoursIn }] = await ds.query(`SELECT count(*)::int AS n FROM service_records WHERE tenant_id = $1 AND migration_id = $2`, [tenant.id, migration.id]);
    await app.get(LedgerAudit).sealAll();
    const verify = await app.get(LedgerAudit).verify(tenant.id);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    await app.close();
    const span = (h: number[]) => (h.length ? [h[0], Math.max(...h), h[h.length - 1]].map((x) => x.toFixed(0)).join(' / ') + ' MB' : 'n/a');
    process.stdout.write(
      [
        '',
        `| measurement | value | ratio to pgbench |`,
        `|---|---|---|`,
        `| pgbench tpcb-like, 8 clients, scale 10 | ${pgTps?.toFixed(0) ?? 'missing'} TPS | 1.00× |`,
        `| approval: postings per second (${postings} postings, ${hoursIn} hours, one transaction) | ${perSecond.toFixed(0)} | ${pgTps ? (perSecond / pgTps).toFixed(2) + '×' : 'n/a'} |`,
        `| upload and check: records / hours, lines per second | ${(LINES / recordsUpload).toFixed(0)} / ${(HOURS / hoursUpload).toFixed(0)} | |`,
        `| CPU per posting in approval: this process / PostgreSQL | ${(((nodeCpu.user + nodeCpu.system) / 1000 - sampling) * 1000 / postings).toFixed(0)} µs / ${pgCpu0 !== null && pgCpu1 !== null ? (((pgCpu1 - pgCpu0) * 1e6) / postings).toFixed(0) + ' µs' : 'n/a'} | |`,
        `| live heap after GC, every 2 s, uploads: first / largest / last | ${span(uploadHeap)} | |`,
        `| live heap after GC, every 2 s, approval: first / largest / last | ${span(heap)} | |`,
        `| peak RSS of the process | ${peakRssMb.toFixed(0)} MB | |`,
        '',
        `uploads: opening ${opening.status} ${opening.body.accepted}, records ${records.status} ${records.body.accepted}, hours ${hours.status} ${hours.body.accepted}; village CONDUCT ${balance} (declared ${expected})`,
        `verify: ${JSON.stringify(verify)}`,
        '',
      ].join('\n'),
    );
    if (applied.status !== 'applied' || postings !== HOUSEHOLDS + LINES || hoursIn !== HOURS || Number(balance) !== expected || !verify.chainIntact || !verify.balanced) process.exitCode = 1;
  } finally {
    await db.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});

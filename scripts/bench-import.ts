/**
 * npm run bench:import — the CSV import of conduct records, as records entered
 * per second, as a ratio to pgbench tpcb-like measured in the same run on the
 * same PostgreSQL (fsync on), and the process's peak RSS. BENCH_LINES sets the
 * number of lines (default 100,000). The file is generated and streamed, never
 * held whole in memory.
 *
 * Two steps, as the four-eyes rule has it (issue 18): a clerk's key imports the
 * file (entered `submitted`, one transaction), a reviewer's key approves the
 * import (one set-based statement), and the records, of an item with no notice
 * period, post to the ledger in short transactions of 1,000. The figure is
 * postings per second, upload to last posting, both steps included; each step's
 * time is printed too. Afterwards every line must be a posted record with its
 * transaction, and the ledger must verify.
 */
import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { KeyPrincipal } from '../src/auth/principal';
import { LedgerAudit } from '../src/ledger/ledger-audit.service';
import { RecordsImportService } from '../src/records/records-import.service';
import { RecordsService } from '../src/records/records.service';
import { RuleSetsService } from '../src/rules/rulesets.service';
import { TenancyService } from '../src/tenancy/tenancy.service';
import { benchDatabase, machine, pgbenchTps, postgresCpuSeconds, recreateDatabase, say, benchConfig } from './lib/bench-env';

const LINES = Number(process.env.BENCH_LINES ?? 100_000);
const HOUSEHOLDS = 1000;

async function main(): Promise<void> {
  say(`machine: ${machine()}`);
  const db = await benchDatabase();
  try {
    const pgTps = (await pgbenchTps(db, 8, Number(process.env.BENCH_SECONDS ?? 15)))?.tps ?? null;
    if (pgTps !== null) say(`pgbench tpcb-like: ${pgTps.toFixed(0)} TPS`);
    await recreateDatabase(db, 'jifen_bench');
    const app = await createApp(
      benchConfig(db, { JOBS: process.env.BENCH_JOBS !== 'false' }),
    );
    await app.init();
    const ds = app.get(DataSource);
    const tenant = await app.get(TenancyService).createTenant({ regionCode: '500154', name: '基准测试县' });
    await ds.query(`INSERT INTO regions (tenant_id, code, name, level, parent_code) VALUES ($1, '500154101', '乡', 'township', '500154'), ($1, '500154101001', '村', 'village', '500154101')`, [tenant.id]);
    const households = Array.from({ length: HOUSEHOLDS }, () => randomUUID());
    await ds.query(`INSERT INTO households (tenant_id, id, village_code, head_name, no) SELECT $1, u.id, '500154101001', '户主', '500154101001-' || lpad(u.n::text, 4, '0') FROM unnest($2::uuid[]) WITH ORDINALITY AS u(id, n)`, [tenant.id, households]);
    const p: KeyPrincipal = { kind: 'key', keyId: randomUUID(), tenantId: tenant.id, role: 'admin', scopeRegionCode: '500154', shopId: null, bankId: null, actor: { type: 'key' as const, id: randomUUID(), name: 'test' } };
    const clerk: KeyPrincipal = { ...p, keyId: randomUUID(), role: 'clerk', actor: { type: 'key', id: randomUUID(), name: 'clerk' } };
    const reviewer: KeyPrincipal = { ...p, keyId: randomUUID(), role: 'reviewer', actor: { type: 'key', id: randomUUID(), name: 'reviewer' } };
    const set = await app.get(RuleSetsService).create(p, {
      regionCode: '500154', asset: 'CONDUCT', name: '基准', effectiveFrom: '2026-01-01',
      items: [{ code: 'B01', name: '基准条目', direction: 'credit', points: '1', noticeDays: 0 }],
    });
    await app.get(RuleSetsService).activate(p, set.id);
    await ds.query('ANALYZE');

    let generated = 0;
    const heapSamples: number[] = [];
    let sampling = 0; // ms spent in the forced collections of the memory samples
    async function* csv(): AsyncGenerator<Buffer> {
      yield Buffer.from('holderType,holderId,ruleCode,quantity,occurredOn,note\n');
      const batch: string[] = [];
      for (let i = 0; i < LINES; i++) {
        batch.push(`household,${households[i % HOUSEHOLDS]},B01,1,2026-03-${String((i % 28) + 1).padStart(2, '0')},基准`);
        if (batch.length === 500 || i === LINES - 1) {
          generated += batch.length;
          yield Buffer.from(batch.join('\n') + '\n');
          batch.length = 0;
          if (generated % 20_000 === 0) say(`… ${generated} lines sent`);
        }
      }
    }
    // Every 2 s, with --expose-gc (the npm script sets it): the heap that is really in use, garbage collected.
    // The forced collection is the instrument's cost, not the importer's: timed and taken out below.
    const sampler = setInterval(() => {
      const gcStarted = Date.now();
      (globalThis as { gc?: () => void }).gc?.();
      sampling += Date.now() - gcStarted;
      heapSamples.push(process.memoryUsage().heapUsed / 1024 / 1024);
    }, 2000);
    say(`importing ${LINES} lines …`);
    const started = Date.now();
    const nodeCpu0 = process.cpuUsage();
    const pgCpu0 = postgresCpuSeconds();
    const result = await app.get(RecordsImportService).importFile(clerk, csv(), undefined, { partial: false });
    const enteredAt = Date.now();
    say(`entered ${result.body.accepted} records in ${((enteredAt - started) / 1000).toFixed(1)} s; a second key approves …`);
    const approval = result.status === 201 ? await app.get(RecordsService).approveImport(reviewer, result.body.importId!, '基准测试评议会') : null;
    say(`approved and posted in ${((Date.now() - enteredAt) / 1000).toFixed(1)} s: ${JSON.stringify(approval && { approved: approval.approved, posted: approval.posted, refused: approval.refused.length })}`);
    clearInterval(sampler);
    const seconds = (Date.now() - started - sampling) / 1000;
    // CPU per line on each side (the forced collections left out of Node's): where the two cores went.
    const nodeCpu = process.cpuUsage(nodeCpu0);
    const nodeUsPerLine = ((nodeCpu.user + nodeCpu.system) / 1000 - sampling) * 1000 / LINES;
    const pgCpu1 = postgresCpuSeconds();
    const pgUsPerLine = pgCpu0 !== null && pgCpu1 !== null ? ((pgCpu1 - pgCpu0) * 1e6) / LINES : null;
    say(`import took ${((Date.now() - started) / 1000).toFixed(1)} s, of which ${(sampling / 1000).toFixed(2)} s in the forced collections for the memory samples (not counted below)`);
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM records r JOIN ledger_transactions t ON t.tenant_id = r.tenant_id AND t.id = r.transaction_id
        WHERE r.tenant_id = $1 AND r.status = 'posted'`,
      [tenant.id],
    );
    const perSecond = n / seconds;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    await app.get(LedgerAudit).sealAll();
    const verify = await app.get(LedgerAudit).verify(tenant.id);
    await app.close();
    process.stdout.write(
      [
        '',
        `| measurement | value | ratio to pgbench |`,
        `|---|---|---|`,
        `| pgbench tpcb-like, 8 clients, scale 10 | ${pgTps?.toFixed(0) ?? 'missing'} TPS | 1.00× |`,
        `| CSV import, then approval by a second key, postings per second (${LINES} lines, status ${result.status}) | ${perSecond.toFixed(0)} | ${pgTps ? (perSecond / pgTps).toFixed(2) + '×' : 'n/a'} |`,
        `| peak RSS of the process | ${peakRssMb.toFixed(0)} MB | |`,
        `| CPU per line: this process / PostgreSQL | ${nodeUsPerLine.toFixed(0)} µs / ${pgUsPerLine === null ? 'n/a' : pgUsPerLine.toFixed(0) + ' µs'} | |`,
        `| live heap after GC, every 2 s: first / largest / last | ${heapSamples.length ? [heapSamples[0], Math.max(...heapSamples), heapSamples[heapSamples.length - 1]].map((h) => h.toFixed(0)).join(' / ') + ' MB' : 'n/a'} | |`,
        '',
        `accepted ${result.body.accepted}, rejected ${result.body.rejected.length}, posted records with their transaction ${n}, ${seconds.toFixed(1)} s`,
        `verify: ${JSON.stringify(verify)}`,
        '',
      ].join('\n'),
    );
    if (n !== LINES || result.body.accepted !== LINES || !verify.balanced || !verify.balancesMatchEntries || !verify.chainIntact) process.exitCode = 1;
  } finally {
    await db.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});

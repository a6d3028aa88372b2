/**
 * npm run bench:grades — a county of BENCH_HOUSEHOLDS households (default
 * 100,000) with 20 ledger entries each (2,000,000), generated in SQL; then, on
 * the same PostgreSQL in the same run:
 *
 *  1. reference: one `SELECT account_id, sum(amount) … GROUP BY` scan over those entries;
 *  2. a grade run of the whole county with the shipped scorecard (features, scoring,
 *     writing 100,000 results), as a ratio to (1) — target ≤ 3×;
 *  3. reference: `COPY (SELECT …) TO STDOUT` of the rows the export sends;
 *  4. the signed CSV export over HTTP with a bank key (every household consenting),
 *     rows per second as a ratio to (3) — target ≥ 0.5× — and the peak RSS of the
 *     process sampled while it runs.
 */
import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { readFileSync } from 'fs';
import * as http from 'http';
import * as path from 'path';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { KeyPrincipal } from '../src/auth/principal';
import { GradesService } from '../src/grades/grades.service';
import { countNewlines } from '../src/platform/util/count-lines';
import { TenancyService } from '../src/tenancy/tenancy.service';
import { ApiKeysService } from '../src/auth/api-keys.service';
import { detachedOnLane } from '../src/platform/database/db-context';
import { benchDatabase, machine, recreateDatabase, say, benchConfig } from './lib/bench-env';

const HOUSEHOLDS = Number(process.env.BENCH_HOUSEHOLDS ?? 100_000);
const ENTRIES_PER_ACCOUNT = 5; // × 2 accounts per household, × 2 sides = 20 entries per household

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function main(): Promise<void> {
  say(`machine: ${machine()}`);
  const db = await benchDatabase();
  try {
    await recreateDatabase(db, 'jifen_bench');
    const app = await createApp(
      benchConfig(db),
    );
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as { port: number }).port;
    const ds = app.get(DataSource);
    const tenant = await app.get(TenancyService).createTenant({ regionCode: '500154', name: '基准测试县' });
    const t = tenant.id;
    await ds.query(`INSERT INTO regions (tenant_id, code, name, level, parent_code) VALUES ($1, '500154101', '乡', 'township', '500154')`, [t]);
    await ds.query(
      `INSERT INTO regions (tenant_id, code, name, level, parent_code) SELECT $1, '500154101' || lpad(v::text, 3, '0'), '村' || v, 'village', '500154101' FROM generate_series(1, 10) v`,
      [t],
    );

    say(`generating ${HOUSEHOLDS} households and ${HOUSEHOLDS * 20} entries in SQL …`);
    let started = process.hrtime.bigint();
    // The fixture is bulk work: on the job lane, where no statement_timeout applies.
    await detachedOnLane('job', () => ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO households (tenant_id, id, village_code, head_name, created_at, enrolled_on, no)
         SELECT $1, gen_random_uuid(), '500154101' || lpad((1 + i % 10)::text, 3, '0'), '户主' || i, now() - interval '800 days', (now() - interval '800 days')::date,
                '500154101' || lpad((1 + i % 10)::text, 3, '0') || '-' || lpad(i::text, 6, '0')
           FROM generate_series(1, $2) i`,
        [t, HOUSEHOLDS],
      );
      await m.query(
        `INSERT INTO accounts (tenant_id, asset_code, holder_type, holder_id, region_code, floor_policy)
         SELECT $1, a.code, 'household', h.id::text, h.village_code, CASE a.code WHEN 'CONDUCT' THEN 'spend_only' ELSE 'non_negative' END
           FROM households h CROSS JOIN (VALUES ('CONDUCT'), ('XIAOSHAN')) AS a(code) WHERE h.tenant_id = $1
         UNION ALL
         SELECT $1, code, 'system', 'issuer', NULL, 'none' FROM (VALUES ('CONDUCT'), ('XIAOSHAN')) AS s(code)`,
        [t],
      );
      await m.query(
        `CREATE TEMP TABLE gen ON COMMIT DROP AS
         SELECT gen_random_uuid() AS tx, a.id AS acc, a.asset_code AS asset, now() - random() * interval '400 days' AS at,
                ((1 + floor(random() * 10)) * CASE WHEN a.asset_code = 'XIAOSHAN' THEN 20 WHEN random() < 0.2 THEN -1 ELSE 1 END)::numeric AS amt
           FROM accounts a CROSS JOIN generate_series(1, $2) WHERE a.tenant_id = $1 AND a.holder_type = 'household'`,
        [t, ENTRIES_PER_ACCOUNT],
      );
      // Transactions and their entries in one statement, as the ledger writes them (each transaction must have entries).
      await m.query(
        `WITH tx AS (
           INSERT INTO ledger_transactions (tenant_id, id, kind, memo, actor, created_at, hash, effective_on)
           SELECT $1, tx, CASE WHEN amt > 0 THEN 'issue' ELSE 'penalty' END, '基准', 'bench', at, '\\x00'::bytea, (at AT TIME ZONE 'Asia/Shanghai')::date FROM gen
         )
         INSERT INTO ledger_entries (tenant_id, account_id, account_seq, transaction_id, asset_code, amount, balance_after, created_at, effective_on)
         SELECT $1, acc, row_number() OVER w, tx, asset, amt, sum(amt) OVER w, at, (at AT TIME ZONE 'Asia/Shanghai')::date FROM gen WINDOW w AS (PARTITION BY acc ORDER BY at, tx)
         UNION ALL
         SELECT $1, i.id, row_number() OVER w, g.tx, g.asset, -g.amt, sum(-g.amt) OVER w, g.at, (g.at AT TIME ZONE 'Asia/Shanghai')::date
           FROM gen g JOIN accounts i ON i.tenant_id = $1 AND i.holder_type = 'system' AND i.asset_code = g.asset
         WINDOW w AS (PARTITION BY g.asset ORDER BY g.at, g.tx)`,
        [t],
      );
      // The accounts' rows carry what their entries add up to, as the ledger keeps them
      // (the XIAOSHAN feature reads the balance there): without it every household grades on 0.
      await m.query(
        `UPDATE accounts a SET balance = s.total, entry_count = s.n, last_entry_at = s.last
           FROM (SELECT account_id, sum(amount) AS total, count(*) AS n, max(created_at) AS last FROM ledger_entries WHERE tenant_id = $1 GROUP BY account_id) AS s
          WHERE a.tenant_id = $1 AND a.id = s.account_id`,
        [t],
      );
    }));
    await ds.query('ANALYZE');
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM ledger_entries WHERE tenant_id = $1`, [t]);
    say(`generated ${n} entries in ${seconds(started).toFixed(1)} s`);

    // 1. The reference scan (run once to warm the cache, then measured).
    const scan = `SELECT account_id, sum(amount) FROM ledger_entries WHERE tenant_id = $1 GROUP BY account_id`;
    await ds.query(scan, [t]);
    started = process.hrtime.bigint();
    await ds.query(scan, [t]);
    const scanSeconds = seconds(started);
    say(`reference GROUP BY scan: ${scanSeconds.toFixed(2)} s`);

    // 2. The grade run.
    const p: KeyPrincipal = { kind: 'key', keyId: randomUUID(), tenantId: t, role: 'admin', scopeRegionCode: '500154', shopId: null, bankId: null, actor: { type: 'key' as const, id: randomUUID(), name: 'test' } };
    const grades = app.get(GradesService);
    const card = await grades.createScorecard(p, JSON.parse(readFileSync(path.join(__dirname, '..', 'config', 'scorecards', 'xinzhongyi-xiaoshan-credit.json'), 'utf8')));
    const asOf = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    started = process.hrtime.bigint();
    const run = await grades.createRun(p, { regionCode: '500154', asOf, scorecardId: card.id }, (done) => say(`… graded ${done}`));
    const runSeconds = seconds(started);
    say(`grade run: ${run.households} households in ${runSeconds.toFixed(2)} s; distribution ${JSON.stringify(run.distribution)}`);
    await grades.publish(p, run.id);

    // 3. The COPY reference of the exported rows.
    const [{ id: bankId }] = await ds.query(`INSERT INTO banks (tenant_id, id, name) VALUES ($1, gen_random_uuid(), '基准银行') RETURNING id`, [t]);
    await ds.query(
      `INSERT INTO consents (tenant_id, id, household_id, bank_id, scope, expires_on, document_ref, created_by)
       SELECT $1, gen_random_uuid(), id, $2, 'credit-grade', '2099-12-31', 'bench', 'bench' FROM households WHERE tenant_id = $1`,
      [t, bankId],
    );
    await ds.query('ANALYZE');
    const client = new Client({ connectionString: db.urlFor('jifen_bench') });
    await client.connect();
    const copySql = `COPY (SELECT r.household_id, r.region_code, r.grade, r.score, r.credit_line, r.rate_tier FROM grade_results r
      WHERE r.tenant_id = '${t}' AND r.run_id = '${run.id}' AND EXISTS (SELECT 1 FROM consents c WHERE c.tenant_id = r.tenant_id AND c.bank_id = '${bankId}'
        AND c.household_id = r.household_id AND c.revoked_at IS NULL AND c.expires_on >= CURRENT_DATE) ORDER BY r.household_id) TO STDOUT WITH (FORMAT csv)`;
    started = process.hrtime.bigint();
    let copyBytes = 0;
    await new Promise<void>((resolve, reject) => {
      const s = client.query(copyTo(copySql));
      s.on('data', (d: Buffer) => (copyBytes += d.length));
      s.on('end', resolve);
      s.on('error', reject);
    });
    const copySeconds = seconds(started);
    await client.end();
    say(`reference COPY: ${HOUSEHOLDS} rows, ${(copyBytes / 1e6).toFixed(1)} MB in ${copySeconds.toFixed(2)} s`);

    // 4. The export over HTTP, with the RSS sampled while it runs.
    const key = await app.get(ApiKeysService).issue({ kind: 'platform' }, { tenantId: t, name: 'bench bank', role: 'bank', bankId } as never);
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const rssBefore = process.memoryUsage().rss;
    started = process.hrtime.bigint();
    const { rows, bytes, status } = await new Promise<{ rows: number; bytes: number; status: number }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/v1/bank/grades/export?format=csv', headers: { Authorization: `Bearer ${key.apiKey}` } }, (res) => {
          let b = 0;
          let lines = 0;
          res.on('data', (d: Buffer) => {
            b += d.length;
            lines += countNewlines(d);
          });
          res.on('end', () => resolve({ rows: lines - 1, bytes: b, status: res.statusCode ?? 0 }));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    const exportSeconds = seconds(started);
    clearInterval(sampler);
    await app.close();

    const copyRate = HOUSEHOLDS / copySeconds;
    const exportRate = rows / exportSeconds;
    process.stdout.write(
      [
        '',
        '| measurement | value | ratio |',
        '|---|---|---|',
        `| reference: GROUP BY scan of ${n} entries | ${scanSeconds.toFixed(2)} s | 1.00× |`,
        `| grade run, ${run.households} households (features, scores, results written) | ${runSeconds.toFixed(2)} s | ${(runSeconds / scanSeconds).toFixed(2)}× the scan (target ≤ 3×) |`,
        `| reference: COPY … TO STDOUT of the exported rows | ${copyRate.toFixed(0)} rows/s | 1.00× |`,
        `| signed CSV export over HTTP (status ${status}, ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB) | ${exportRate.toFixed(0)} rows/s | ${(exportRate / copyRate).toFixed(2)}× COPY (target ≥ 0.5×) |`,
        `| RSS during the export: before / peak | ${(rssBefore / 1048576).toFixed(0)} / ${(peakRss / 1048576).toFixed(0)} MB | |`,
        '',
      ].join('\n'),
    );
    if (status !== 200 || rows !== HOUSEHOLDS) process.exitCode = 1;
  } finally {
    await db.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});

/**
 * npm run ledger:verify (or node dist/cli/ledger-verify.js) — recomputes, for every tenant, the trial balance per
 * asset, every stored balance against its entries (and balanceAfter chains),
 * and the seal chain. Exit code 0 when all hold, 1 when anything is off.
 *
 * npm run ledger:verify -- --anchor <hash> — checks that today's chain still
 * passes through the seal printed on a board or grade list (its hash, or the
 * first 16 hex digits of it): the seal is in the chain, and the chain of its
 * county verifies. Exit code 0 when it does, 1 when it does not.
 *
 * Database: DATABASE_URL if set; otherwise the embedded server under DATA_DIR
 * (.data): the running one if jifen is up, else started for the check.
 * Reads only; it does not seal or migrate.
 */
import 'reflect-metadata';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { LedgerAudit } from '../ledger/ledger-audit.service';
import { parseEnv } from '../platform/config/app-config';
import { loadSqlMigrations } from '../platform/database/sql-migrations';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { EmbeddedPostgresHandle, EmbeddedServerRunning, startEmbeddedPostgres } from '../platform/embedded/embedded-postgres';
import { loadOrCreateSecrets } from '../platform/embedded/runtime';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const vars = parseEnv(process.env);
  let url = vars.DATABASE_URL;
  let embedded: EmbeddedPostgresHandle | null = null;
  if (!url) {
    const dataDir = path.resolve(vars.DATA_DIR ?? '.data');
    const secrets = loadOrCreateSecrets(dataDir);
    const pgUrl = (port: number) => `postgres://postgres:${encodeURIComponent(secrets.pgPassword)}@127.0.0.1:${port}/jifen`;
    try {
      embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: vars.EMBEDDED_PG_PORT ?? 54329, password: secrets.pgPassword, database: 'jifen' });
      url = embedded.url;
    } catch (e) {
      if (!(e instanceof EmbeddedServerRunning)) throw e;
      url = pgUrl(e.port); // jifen is running: check its database in place
    }
  }
  const ds = new DataSource({ type: 'postgres', url, migrations: loadSqlMigrations() });
  await ds.initialize();
  try {
    if (await ds.showMigrations()) {
      say('数据库尚未迁移到当前版本：请先运行 npm start（或 MIGRATIONS_RUN=true 启动服务）再核对。');
      return 2;
    }
    const audit = new LedgerAudit(ds, new UnitOfWork(ds));
    const anchorAt = process.argv.indexOf('--anchor');
    if (anchorAt >= 0) return await checkAnchor(audit, process.argv[anchorAt + 1] ?? '');
    say('正在核对账本（试算平衡、余额与分录、封存哈希链）…');
    const r = await audit.verify(null);
    const mark = (ok: boolean) => (ok ? '通过' : '不通过');
    say(`试算平衡 (balanced):                ${mark(r.balanced)}`);
    say(`余额与分录一致 (balancesMatchEntries): ${mark(r.balancesMatchEntries)}`);
    say(`哈希链完整 (chainIntact):            ${mark(r.chainIntact)}`);
    say(`已核对交易 (checkedTransactions):     ${r.checkedTransactions}`);
    for (const p of r.problems) say(`  问题: ${p}`);
    return r.balanced && r.balancesMatchEntries && r.chainIntact ? 0 : 1;
  } finally {
    await ds.destroy();
    await embedded?.stop();
  }
}

/** --anchor: the printed seal is still in the chain, and the chain verifies. */
async function checkAnchor(audit: LedgerAudit, hash: string): Promise<number> {
  if (!/^[0-9a-fA-F]{16,64}$/.test(hash.trim())) {
    say('用法：npm run ledger:verify -- --anchor <封存指纹>（公示页上印的 16 位或完整的 64 位十六进制指纹）');
    return 2;
  }
  say(`正在核对封存指纹 ${hash.trim().toLowerCase()} 是否仍在今天的哈希链上…`);
  const { found, report } = await audit.verifyAnchor(hash);
  if (found.length === 0) {
    say('不通过：今天的账本里没有这个封存指纹。公示之后账目被改写过，或指纹抄错了。');
    return 1;
  }
  if (found.length > 1) {
    say(`指纹不够长：有 ${found.length} 个封存以它开头，请给出更多位数。`);
    return 2;
  }
  const [seal] = found;
  say(`找到：县 ${seal.tenantId} 的第 ${seal.sealNo} 次封存（${seal.hash}）`);
  say(`哈希链完整 (chainIntact):            ${report!.chainIntact ? '通过' : '不通过'}`);
  for (const p of report!.problems) say(`  问题: ${p}`);
  const ok = report!.chainIntact;
  say(ok ? '通过：今天的哈希链仍经过这个封存，公示之前的账目没有被改动。' : '不通过：哈希链有断处（见上面的问题），账目被改动过。');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`核对失败: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);

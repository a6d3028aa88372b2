import 'reflect-metadata';
import { chmodSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadSqlMigrations } from '../../src/platform/database/sql-migrations';
import { freePort, startEmbeddedPostgres } from '../../src/platform/embedded/embedded-postgres';
import { databaseUrl, TEMPLATE_DB, workerDbName } from './test-db';

/**
 * One real PostgreSQL for the whole run: the one at DATABASE_URL if set,
 * otherwise an embedded server in a temp directory (fsync off: the data is
 * thrown away). Migrations are applied once to a template database, and each
 * jest worker gets its own database cloned from it.
 */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  const started = Date.now();
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(path.join(tmpdir(), 'jifen-test-'));
    chmodSync(dir, 0o755); // the server runs as "postgres" when we are root
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'pg'),
      port: await freePort(),
      password: 'test',
      database: 'postgres',
      fsync: false,
      extraFlags: ['-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      // CI points this at another major's package (.ci/run: PostgreSQL 14 and 18).
      packageDir: process.env.TEST_EMBEDDED_PG_DIR || undefined,
    });
    (globalThis as any).__JIFEN_PG__ = { pg, dir };
    adminUrl = pg.urlFor('postgres');
  }
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const version = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
    const ds = new DataSource({ type: 'postgres', url: databaseUrl(adminUrl, TEMPLATE_DB), migrations: loadSqlMigrations() });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    for (let w = 1; w <= Math.max(1, globalConfig.maxWorkers); w++) {
      await admin.query(`DROP DATABASE IF EXISTS ${workerDbName(w)} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${workerDbName(w)} TEMPLATE ${TEMPLATE_DB}`);
    }
  } finally {
    await admin.end();
  }
  // Workers are spawned after this, so they inherit it.
  process.env.JIFEN_TEST_ADMIN_URL = adminUrl;
  process.stdout.write(`\n[test] PostgreSQL ${version} ready with ${globalConfig.maxWorkers} worker database(s) in ${Date.now() - started} ms\n`);
}

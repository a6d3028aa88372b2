import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadSqlMigrations } from '../../src/platform/database/sql-migrations';
import { databaseUrl } from '../helpers/test-db';

/** Every migration applies to an empty database, and every one reverts. */
describe('migrations (integration)', () => {
  const db = `jifen_migrations_w${process.env.JEST_WORKER_ID ?? '1'}`;
  const adminUrl = process.env.JIFEN_TEST_ADMIN_URL!;
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${db}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it('applies all, then reverts all, leaving an empty schema', async () => {
    const ds = new DataSource({ type: 'postgres', url: databaseUrl(adminUrl, db), migrations: loadSqlMigrations() });
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      expect(applied.length).toBe(loadSqlMigrations().length);
      const tables = async () =>
        (await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`)).map(
          (r: { table_name: string }) => r.table_name,
        );
      expect(await tables()).toEqual(expect.arrayContaining(['api_keys', 'regions', 'tenants']));
      for (let i = 0; i < applied.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      expect(await tables()).toEqual([]);
      const leftovers = await ds.query(
        `SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`,
      );
      expect(leftovers).toEqual([]);
      // and they apply again after a full revert
      expect((await ds.runMigrations({ transaction: 'each' })).length).toBe(applied.length);
    } finally {
      await ds.destroy();
    }
  });
});

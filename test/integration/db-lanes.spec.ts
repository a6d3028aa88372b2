import { DataSource } from 'typeorm';
import { currentLane, onLane } from '../../src/platform/database/db-context';
import { NestedAcquire, PoolBusy, lanePools } from '../../src/platform/database/lane-pool';
import { transactionRetries, UnitOfWork } from '../../src/platform/database/unit-of-work';
import { isGiveUp, pgCode } from '../../src/platform/database/pg-errors';
import { nestedAcquires } from '../../src/platform/database/database.module';
import { asAdmin, startTestApp, TestApp } from '../helpers/test-app';


/** The pools and their bounded waits (issue 16: no hang, ever). */
describe('database lanes and bounded waits (integration)', () => {
  let t: TestApp;
  let ds: DataSource;
  let uow: UnitOfWork;
  beforeAll(async () => {
    t = await startTestApp({ dbPoolSize: 2, dbBatchPoolSize: 1, dbJobPoolSize: 1, dbAcquireTimeoutMs: 300, dbLockTimeoutMs: 300, dbStatementTimeoutMs: 1000, dbIdleTxTimeoutMs: 1500, jobs: false });
    ds = t.app.get(DataSource);
    uow = t.app.get(UnitOfWork);
    await ds.query(`CREATE TABLE IF NOT EXISTS lane_probe (id int PRIMARY KEY, v int)`);
    await ds.query(`INSERT INTO lane_probe VALUES (1, 0) ON CONFLICT DO NOTHING`);
  });
  afterAll(async () => {
    await ds.query(`DROP TABLE IF EXISTS lane_probe`);
    await t.close();
  });

  it('each lane has its own pool, named in pg_stat_activity', async () => {
    const pools = lanePools((ds.driver as unknown as { master: unknown }).master)!;
    expect(Object.keys(pools).sort()).toEqual(['batch', 'job', 'request']);
    const names = async () => (await ds.query(`SELECT application_name FROM pg_stat_activity WHERE datname = current_database()`)).map((r: any) => r.application_name);
    await onLane('job', () => uow.run(async (m) => m.query('SELECT 1')));
    expect(await names()).toEqual(expect.arrayContaining(['jifen:request', 'jifen:job']));
  });

  it('a unit of work that asks the pool for a second connection is refused (strict mode, as in every test)', async () => {
    const before = nestedAcquires.count;
    await expect(uow.run(async () => ds.query('SELECT 1'))).rejects.toBeInstanceOf(NestedAcquire);
    await expect(uow.run(async () => uow.run(async (m) => m.query('SELECT 1')))).rejects.toBeInstanceOf(NestedAcquire);
    // Moving to another lane does not make it safe.
    await expect(uow.run(async () => uow.run(async (m) => m.query('SELECT 1'), { lane: 'job' }))).rejects.toBeInstanceOf(NestedAcquire);
    expect(nestedAcquires.count).toBe(before + 3);
    // Outside a unit of work, and on its own manager, all is well.
    await expect(uow.run(async (m) => m.query('SELECT 1 AS x'))).resolves.toEqual([{ x: 1 }]);
    expect(await ds.query('SELECT 2 AS x')).toEqual([{ x: 2 }]);
  });

  it('a full pool answers PoolBusy (503, Retry-After) after the acquire timeout, instead of waiting for ever', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holders = [uow.run(async () => gate), uow.run(async () => gate)];
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const err = await uow.run(async (m) => m.query('SELECT 1')).catch((e) => e);
    expect(err).toBeInstanceOf(PoolBusy);
    expect(err.status).toBe(503);
    expect(err.headers).toEqual({ 'Retry-After': '1' });
    expect(Date.now() - started).toBeLessThan(3000);
    // Over HTTP: a problem+json 503 with Retry-After, counted as a server error.
    const busy = await t.http().get('/health');
    expect(busy.status).toBe(503);
    const listed = await t.http().get('/v1/tenants').set(asAdmin);
    expect([listed.status, listed.headers['retry-after'], listed.body.code]).toEqual([503, '1', 'busy']);
    expect((await t.http().get('/metrics')).text).toMatch(/jifen_http_server_errors_total\{method="GET",route="\/v1\/tenants",status="503"\} 1/);
    // The other lanes are not starved by the full request pool.
    await expect(onLane('job', () => uow.run(async (m) => m.query('SELECT 3 AS x')))).resolves.toEqual([{ x: 3 }]);
    release();
    await Promise.all(holders);
    expect(currentLane()).toBe('request');
  });

  it('a row lock held elsewhere ends in lock_timeout, and the request is answered 503', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holder = uow.run(async (m) => {
      await m.query('SELECT * FROM lane_probe WHERE id = 1 FOR UPDATE');
      await gate;
    });
    await new Promise((r) => setTimeout(r, 50));
    const err = await uow.run(async (m) => m.query('UPDATE lane_probe SET v = v + 1 WHERE id = 1')).catch((e) => e);
    expect(err.driverError?.code ?? err.code).toBe('55P03');
    release();
    await holder;
  });

  it('a deadlock is retried and counted in jifen_db_retries_total; one that outlasts the retries is a give-up (503), not a 500', async () => {
    await ds.query(`INSERT INTO lane_probe VALUES (2, 0) ON CONFLICT DO NOTHING`);
    const crossing = (retries?: number) => {
      let arrived = 0;
      let both!: () => void;
      const met = new Promise<void>((r) => (both = r));
      const side = (first: number, second: number) =>
        uow.run(async (m) => {
          // Under this app's lock_timeout (300 ms), so that the deadlock is found before the wait is given up.
          await m.query(`SET LOCAL deadlock_timeout = '50ms'`);
          await m.query('UPDATE lane_probe SET v = v + 1 WHERE id = $1', [first]);
          if (++arrived === 2) both();
          await met;
          await m.query('UPDATE lane_probe SET v = v + 1 WHERE id = $1', [second]);
        }, { retries });
      return Promise.allSettled([side(1, 2), side(2, 1)]);
    };
    const before = transactionRetries.get('40P01') ?? 0;
    const settled = await crossing();
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(transactionRetries.get('40P01')).toBe(before + 1);
    expect((await t.http().get('/metrics')).text).toContain(`jifen_db_retries_total{code="40P01"} ${before + 1}`);

    const [one, other] = await crossing(0);
    const failed = [one, other].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(pgCode(failed.reason)).toBe('40P01');
    expect(isGiveUp(failed.reason)).toBe(true);
  });

  it('statement_timeout ends a long statement on the request lane; a long unit of work lifts it', async () => {
    const err = await uow.run(async (m) => m.query('SELECT pg_sleep(1.5)')).catch((e) => e);
    expect(err.driverError?.code ?? err.code).toBe('57014');
    await expect(uow.run(async (m) => m.query('SELECT pg_sleep(1.2), 1 AS x'), { long: true })).resolves.toEqual([{ pg_sleep: '', x: 1 }]);
  });

  it('a transaction left idle is ended by the server, and the process survives it', async () => {
    const err = await uow
      .run(async (m) => {
        await m.query('SELECT 1');
        await new Promise((r) => setTimeout(r, 2500));
        await m.query('SELECT 2');
      }, { retries: 0 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    // The pool replaces the dead connection; the next unit of work runs.
    await expect(uow.run(async (m) => m.query('SELECT 4 AS x'))).resolves.toEqual([{ x: 4 }]);
  });
});

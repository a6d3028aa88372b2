import { execFileSync } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { cpus, tmpdir } from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { freePort, startEmbeddedPostgres } from '../../src/platform/embedded/embedded-postgres';
import { AppConfig, buildConfig } from '../../src/platform/config/app-config';

/** Prints a progress line (benchmarks run for minutes; say what is happening). */
export const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);

export interface BenchDb {
  adminUrl: string;
  urlFor(db: string): string;
  host: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

/**
 * The server every figure of one run is measured on: DATABASE_URL if set,
 * else a fresh embedded PostgreSQL with production settings (fsync on).
 */
export async function benchDatabase(): Promise<BenchDb> {
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    const urlFor = (db: string) => Object.assign(new URL(u.toString()), { pathname: `/${db}` }).toString();
    return { adminUrl: urlFor('postgres'), urlFor, host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), stop: async () => undefined };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'jifen-bench-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  say(`starting embedded PostgreSQL (fsync on) in ${dir} on port ${port}`);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, password: 'bench', database: 'postgres', fsync: true, extraFlags: ['-c', 'max_wal_size=2GB', ...(process.env.BENCH_PG_FLAGS ?? '').split(' ').filter(Boolean)] });
  return {
    adminUrl: pg.urlFor('postgres'),
    urlFor: pg.urlFor,
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: 'bench',
    stop: async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function recreateDatabase(db: BenchDb, name: string): Promise<void> {
  const c = new Client({ connectionString: db.adminUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
}

/** pgbench from PATH or a Debian PostgreSQL install; null when the machine has none. */
export function findPgbench(): string | null {
  const candidates = (process.env.PATH ?? '').split(':').map((d) => path.join(d, 'pgbench'));
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${v}/bin/pgbench`);
  }
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** pgbench tpcb-like, scale 10, the given clients and seconds; returns TPS or null if pgbench is missing. */
export interface PgbenchResult {
  tps: number;
  /** CPU per transaction, in µs, of the server and of pgbench itself; null where there is no /proc. */
  postgresCpuUs: number | null;
  clientCpuUs: number | null;
}

export async function pgbenchTps(db: BenchDb, clients: number, seconds: number): Promise<PgbenchResult | null> {
  const bin = findPgbench();
  if (!bin) {
    say('pgbench not found on this machine: the reference figure is missing (install postgresql-client to get it)');
    return null;
  }
  await recreateDatabase(db, 'pgbench_ref');
  const env = { ...process.env, PGPASSWORD: db.password };
  const conn = ['-h', db.host, '-p', String(db.port), '-U', db.user];
  say(`pgbench -i -s 10 (${bin})`);
  execFileSync(bin, ['-i', '-s', '10', '-q', ...conn, 'pgbench_ref'], { env, stdio: 'ignore' });
  say(`pgbench tpcb-like, ${clients} clients, ${seconds} s …`);
  const pg0 = postgresCpuSeconds();
  const client0 = childrenCpuSeconds();
  const out = execFileSync(bin, ['-b', 'tpcb-like', '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), ...conn, 'pgbench_ref'], { env, encoding: 'utf8' });
  const pg1 = postgresCpuSeconds();
  const client1 = childrenCpuSeconds();
  const m = /tps = ([\d.]+)/.exec(out);
  const n = /number of transactions actually processed: (\d+)/.exec(out);
  if (!m || !n) throw new Error(`could not read pgbench output:\n${out}`);
  const perTx = (a: number | null, b: number | null) => (a === null || b === null ? null : ((b - a) * 1e6) / Number(n[1]));
  return { tps: Number(m[1]), postgresCpuUs: perTx(pg0, pg1), clientCpuUs: perTx(client0, client1) };
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
}

/** USER_HZ, the unit of CPU times in /proc: 100 on Linux for every architecture Node ships for. */
const TICKS_PER_SECOND = 100;

/** The fields of a /proc/<pid>/stat line after the command name: [0] is field 3 (state). */
function statFields(stat: string): { name: string; fields: string[] } {
  const close = stat.lastIndexOf(')');
  return { name: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

/**
 * CPU seconds (user + system) used so far by every process named `postgres`
 * on this machine, with the children they have reaped (so backends that
 * ended count, through the postmaster), from /proc; null where there is no
 * /proc. Differences of two readings say how much CPU the server spent on
 * what ran in between (the bench's own server has nothing else to do meanwhile).
 */
export function postgresCpuSeconds(): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const { name, fields } = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (name !== 'postgres') continue;
      // utime, stime, cutime, cstime: fields 14 to 17
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds used so far by this process's children that have ended (pgbench, load generators); null without /proc. */
export function childrenCpuSeconds(): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  const { fields } = statFields(readFileSync('/proc/self/stat', 'utf8'));
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** The service's configuration for a benchmark: its own database on the bench server, fixed bench secrets, the demo off. */
export function benchConfig(db: BenchDb, vars: Parameters<typeof buildConfig>[0] = {}): AppConfig {
  return buildConfig(
    { LOG_LEVEL: 'silent', DEMO: false, ...vars },
    { databaseUrl: db.urlFor('jifen_bench'), adminToken: 'bench-admin-token-0123456789abcdef', piiKey: 'YmVuY2gtcGlpLWtleS0wMTIzNDU2Nzg5YWJjZGVm', embedded: false },
  );
}

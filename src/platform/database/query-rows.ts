/** Anything TypeORM runs SQL on: a DataSource, an EntityManager or a QueryRunner. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

/**
 * A query whose rows the caller declares (a row interface, with numerics as
 * text and ids as strings, as node-pg returns them). TypeORM's `query` answers
 * `any`; reading rows through here keeps every column a module uses typed.
 */
export async function queryRows<T>(db: Queryable, text: string, params?: unknown[]): Promise<T[]> {
  return (await db.query(text, params)) as T[];
}

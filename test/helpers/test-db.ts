export const TEMPLATE_DB = 'jifen_test_template';
export const workerDbName = (worker: number) => `jifen_test_w${worker}`;

/** The connection URL of this jest worker's own database. */
export function workerDbUrl(): string {
  const admin = process.env.JIFEN_TEST_ADMIN_URL;
  if (!admin) throw new Error('JIFEN_TEST_ADMIN_URL is not set: run the tests through jest (globalSetup starts PostgreSQL)');
  return databaseUrl(admin, workerDbName(Number(process.env.JEST_WORKER_ID ?? '1')));
}

export function databaseUrl(adminUrl: string, db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

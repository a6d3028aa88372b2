import * as os from 'os';
import * as path from 'path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Client } from 'pg';
import { createApp } from '../../src/app.factory';
import { AppConfig, buildConfig } from '../../src/platform/config/app-config';
import { databaseUrl, TEMPLATE_DB, workerDbUrl } from './test-db';
import { ResponseValidation } from './response-validation';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_PII_KEY = 'dGVzdC1waWkta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5';

export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  const c = buildConfig(
    // A unit of work that asks for a second connection fails the test that does it (see LanePool).
    { LOG_LEVEL: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent', DEMO: false, MIGRATIONS_RUN: false, DB_NESTED_ACQUIRE: 'error' },
    { databaseUrl: workerDbUrl(), adminToken: TEST_ADMIN_TOKEN, piiKey: TEST_PII_KEY, embedded: false },
  );
  c.evidenceDir = path.join(os.tmpdir(), 'jifen-test-evidence');
  return Object.assign(c, overrides);
}

export interface TestApp {
  app: INestApplication;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

/** The whole application, as main.ts builds it, on this worker's database. */
export async function startTestApp(overrides: Partial<AppConfig> = {}): Promise<TestApp> {
  const app = await createApp(testConfig(overrides));
  // Every response is checked against the live OpenAPI document; findings fail the test file when it closes the app.
  const validation = new ResponseValidation();
  app.use(validation.middleware());
  await app.init();
  const server = app.getHttpServer();
  validation.setDocument((await request(server).get('/docs-json')).body);
  return {
    app,
    http: () => request(server),
    close: async () => {
      await app.close();
      if (validation.findings.size) throw new Error(`responses that do not match the OpenAPI document:\n  ${[...validation.findings].join('\n  ')}`);
    },
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
export const asAdmin = bearer(TEST_ADMIN_TOKEN);

/**
 * County codes are unique across tenants; each worker owns its database, so
 * the next free code is the highest used one plus one.
 */
export async function nextCountyCode(url = workerDbUrl()): Promise<string> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ next: string }>(
      `SELECT (COALESCE(max(region_code::int), 110000) + 1)::text AS next FROM tenants`,
    );
    return r.rows[0].next;
  } finally {
    await c.end();
  }
}

/**
 * The application on a database of its own, cloned from the migrated template
 * (for tests that load the demo county, which names fixed region codes), and
 * listening on a loopback port: `base` is its URL.
 */
export async function startAppOnOwnDatabase(name: string, overrides: Partial<AppConfig> = {}): Promise<TestApp & { base: string }> {
  const db = `jifen_test_${name}_${process.env.JEST_WORKER_ID ?? '1'}`;
  const admin = new Client({ connectionString: process.env.JIFEN_TEST_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${db} TEMPLATE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const t = await startTestApp({ databaseUrl: databaseUrl(process.env.JIFEN_TEST_ADMIN_URL!, db), jobs: false, ...overrides });
  await t.app.listen(0, '127.0.0.1');
  return { ...t, base: `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}` };
}

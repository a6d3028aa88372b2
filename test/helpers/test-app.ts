import * as os from 'os';
import * as path from 'path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Client } from 'pg';
import { createApp } from '../../src/app.factory';
import { AppConfig, buildConfig } from '../../src/platform/config/app-config';
import { workerDbUrl } from './test-db';

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
  await app.init();
  const server = app.getHttpServer();
  return { app, http: () => request(server), close: () => app.close() };
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

import { buildConfig, ConfigError, parseEnv } from './app-config';

describe('parseEnv', () => {
  it('accepts an empty environment (embedded mode) with defaults', () => {
    const vars = parseEnv({});
    const c = buildConfig(vars, { databaseUrl: 'postgres://x', adminToken: 'a'.repeat(16), piiKey: 'k'.repeat(32), embedded: true });
    expect(c).toMatchObject({ port: 3000, migrationsRun: true, demo: true, dataDir: '.data', bodyLimit: '1mb', logLevel: 'info' });
  });

  it('loads the demo by default only on the embedded database', () => {
    const external = buildConfig(parseEnv({ DATABASE_URL: 'postgres://u:p@h:5432/db', ADMIN_TOKEN: 'a'.repeat(16), PII_KEY: 'k'.repeat(32) }), {
      databaseUrl: 'postgres://u:p@h:5432/db', adminToken: 'a'.repeat(16), piiKey: 'k'.repeat(32), embedded: false,
    });
    expect(external.demo).toBe(false);
    const asked = buildConfig(parseEnv({ DEMO: 'true' }), { databaseUrl: 'postgres://x', adminToken: 'a'.repeat(16), piiKey: 'k'.repeat(32), embedded: false });
    expect(asked.demo).toBe(true);
  });

  it('parses booleans and integers', () => {
    expect(parseEnv({ PORT: '8080', MIGRATIONS_RUN: 'false', DEMO: '0' })).toMatchObject({ PORT: 8080, MIGRATIONS_RUN: false, DEMO: false });
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      parseEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://nope', MIGRATIONS_RUN: 'maybe', LOG_LEVEL: 'loud', ADMIN_TOKEN: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'MIGRATIONS_RUN', 'LOG_LEVEL', 'ADMIN_TOKEN', 'PII_KEY']) expect(problems).toContain(name);
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(6);
  });

  it('requires ADMIN_TOKEN and PII_KEY with an external database', () => {
    expect(() => parseEnv({ DATABASE_URL: 'postgres://u:p@h:5432/db' })).toThrow(/ADMIN_TOKEN is required[\s\S]*PII_KEY is required/);
  });
});

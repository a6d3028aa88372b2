import { randomBytes } from 'crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AppConfig, buildConfig, EnvVars } from '../config/app-config';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from './embedded-postgres';

interface LocalSecrets {
  adminToken: string;
  piiKey: string;
  pgPassword: string;
}

/**
 * Secrets for embedded mode are generated once and kept in DATA_DIR (mode
 * 0600), so restarts keep the same admin token and can still decrypt ID numbers.
 */
export function loadOrCreateSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  mkdirSync(dataDir, { recursive: true });
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets: LocalSecrets = {
    adminToken: randomBytes(24).toString('base64url'),
    piiKey: randomBytes(32).toString('base64url'),
    pgPassword: randomBytes(18).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Resolves the database (starting the embedded server when DATABASE_URL is unset). */
export async function resolveRuntime(
  vars: EnvVars,
  log: (line: string) => void,
): Promise<{ config: AppConfig; embedded: EmbeddedPostgresHandle | null }> {
  if (vars.DATABASE_URL) {
    return {
      config: buildConfig(vars, { databaseUrl: vars.DATABASE_URL, adminToken: vars.ADMIN_TOKEN!, piiKey: vars.PII_KEY!, embedded: false }),
      embedded: null,
    };
  }
  const dataDir = path.resolve(vars.DATA_DIR ?? '.data');
  const secrets = loadOrCreateSecrets(dataDir);
  const port = vars.EMBEDDED_PG_PORT ?? 54329;
  log(`启动内置 PostgreSQL（数据目录 ${path.join(dataDir, 'pg')}，端口 ${port}）…`);
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(dataDir, 'pg'),
    port,
    password: secrets.pgPassword,
    database: 'jifen',
    log,
  });
  return {
    config: buildConfig(vars, {
      databaseUrl: embedded.url,
      adminToken: vars.ADMIN_TOKEN ?? secrets.adminToken,
      piiKey: vars.PII_KEY ?? secrets.piiKey,
      embedded: true,
    }),
    embedded,
  };
}

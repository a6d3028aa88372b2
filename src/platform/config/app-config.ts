import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidationError,
  validateSync,
} from 'class-validator';

const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const s = String(value).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return value; // left as a string so @IsBoolean reports it
};
const toInt = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  return /^-?\d+$/.test(String(value).trim()) ? Number(value) : value;
};

/**
 * The environment as jifen reads it. Every variable is validated at boot and
 * every problem is reported at once, so an operator fixes them in one pass.
 */
export class EnvVars {
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT?: number;

  @IsOptional() @IsString()
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'DATABASE_URL must look like postgres://user:pass@host:port/db' })
  DATABASE_URL?: string;

  @IsOptional() @IsString() @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN?: string;

  @IsOptional() @IsString()
  @Matches(/^[A-Za-z0-9+/=_-]{32,}$/, { message: 'PII_KEY must be at least 32 base64/hex characters' })
  PII_KEY?: string;

  @IsOptional() @Transform(toBool) @IsBoolean({ message: 'MIGRATIONS_RUN must be true or false' })
  MIGRATIONS_RUN?: boolean;

  @IsOptional() @Transform(toBool) @IsBoolean({ message: 'DEMO must be true or false' })
  DEMO?: boolean;

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional() @IsString()
  DATA_DIR?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  EMBEDDED_PG_PORT?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DB_POOL_SIZE?: number;

  @IsOptional() @IsString() @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 1mb or 512kb' })
  BODY_LIMIT?: string;
}

/** The typed configuration every module receives (injected as AppConfig). */
export class AppConfig {
  port!: number;
  databaseUrl!: string;
  embedded!: boolean;
  adminToken!: string;
  piiKey!: string;
  migrationsRun!: boolean;
  demo!: boolean;
  logLevel!: string;
  dataDir!: string;
  embeddedPgPort!: number;
  dbPoolSize!: number;
  bodyLimit!: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置错误 (invalid configuration):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((msg) => (msg.startsWith(e.property) ? msg : `${e.property}: ${msg}`)),
  );
}

/**
 * Validates raw environment variables. Returns the parsed values; throws a
 * ConfigError listing every problem. Secrets that embedded mode can generate
 * (ADMIN_TOKEN, PII_KEY) are only required when an external database is used.
 */
export function parseEnv(env: NodeJS.ProcessEnv): EnvVars {
  const raw: Record<string, unknown> = {};
  for (const key of [
    'PORT', 'DATABASE_URL', 'ADMIN_TOKEN', 'PII_KEY', 'MIGRATIONS_RUN', 'DEMO', 'LOG_LEVEL',
    'DATA_DIR', 'EMBEDDED_PG_PORT', 'DB_POOL_SIZE', 'BODY_LIMIT',
  ]) {
    if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  }
  const vars = plainToInstance(EnvVars, raw);
  const problems = flatten(validateSync(vars, { forbidUnknownValues: false }));
  if (vars.DATABASE_URL) {
    if (!vars.ADMIN_TOKEN) problems.push('ADMIN_TOKEN is required when DATABASE_URL is set');
    if (!vars.PII_KEY) problems.push('PII_KEY is required when DATABASE_URL is set');
  }
  if (problems.length) throw new ConfigError(problems);
  return vars;
}

export function buildConfig(vars: EnvVars, resolved: { databaseUrl: string; adminToken: string; piiKey: string; embedded: boolean }): AppConfig {
  const c = new AppConfig();
  c.port = vars.PORT ?? 3000;
  c.databaseUrl = resolved.databaseUrl;
  c.embedded = resolved.embedded;
  c.adminToken = resolved.adminToken;
  c.piiKey = resolved.piiKey;
  c.migrationsRun = vars.MIGRATIONS_RUN ?? true;
  // The demo is for a fresh clone (embedded PostgreSQL); a server given its own database starts empty unless asked.
  c.demo = vars.DEMO ?? resolved.embedded;
  c.logLevel = vars.LOG_LEVEL ?? 'info';
  c.dataDir = vars.DATA_DIR ?? '.data';
  c.embeddedPgPort = vars.EMBEDDED_PG_PORT ?? 54329;
  c.dbPoolSize = vars.DB_POOL_SIZE ?? 20;
  c.bodyLimit = vars.BODY_LIMIT ?? '1mb';
  return c;
}

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

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(50)
  DB_BATCH_POOL_SIZE?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(50)
  DB_JOB_POOL_SIZE?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  DB_ACQUIRE_TIMEOUT_MS?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000)
  DB_STATEMENT_TIMEOUT_MS?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(600_000)
  DB_LOCK_TIMEOUT_MS?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000)
  DB_IDLE_TX_TIMEOUT_MS?: number;

  @IsOptional() @IsIn(['error', 'warn'], { message: 'DB_NESTED_ACQUIRE must be error or warn' })
  DB_NESTED_ACQUIRE?: 'error' | 'warn';

  @IsOptional() @Transform(toBool) @IsBoolean({ message: 'JOBS must be true or false' })
  JOBS?: boolean;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(600_000)
  SHUTDOWN_GRACE_MS?: number;

  @IsOptional() @IsString() @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 1mb or 512kb' })
  BODY_LIMIT?: string;

  @IsOptional() @IsString() @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'PUBLIC_BASE_URL must look like https://jifen.example.cn' })
  PUBLIC_BASE_URL?: string;

  @IsOptional() @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' })
  LOG_FORMAT?: 'json' | 'pretty';

  @IsOptional() @IsString()
  EVIDENCE_DIR?: string;
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
  /** Connections for requests. */
  dbPoolSize!: number;
  /** Connections for group-commit batches (the ledger writes at most two batches at once). */
  dbBatchPoolSize!: number;
  /** Connections for background jobs and bulk work (sealing, expiry, notice, grade runs, import postings). */
  dbJobPoolSize!: number;
  /** How long a request waits for a free connection before a 503 (jobs wait twelve times as long). */
  dbAcquireTimeoutMs!: number;
  /** statement_timeout of requests and batches (jobs have none; imports, grade runs and exports lift it). */
  dbStatementTimeoutMs!: number;
  /** lock_timeout of requests and batches (jobs wait twelve times as long). */
  dbLockTimeoutMs!: number;
  /** idle_in_transaction_session_timeout of every session. */
  dbIdleTxTimeoutMs!: number;
  /** A unit of work that asks the pool for a second connection: 'error' refuses it (tests), 'warn' logs it. */
  dbNestedAcquire!: 'error' | 'warn';
  /** Run the scheduled jobs (sealing, expiry, notice, sweeps) in this process. */
  jobs!: boolean;
  /** On SIGTERM, how long requests in flight may take to finish. */
  shutdownGraceMs!: number;
  bodyLimit!: string;
  /** Where villagers' phones reach this service: the door cards' QR codes point here (no trailing slash). */
  publicBaseUrl!: string;
  /** Log lines as JSON, or human-readable; unset: human-readable on a terminal, JSON otherwise. */
  logFormat!: 'json' | 'pretty' | undefined;
  /** Where evidence photos are kept (content-addressed files; docs/evidence.md). */
  evidenceDir!: string;
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
    'DATA_DIR', 'EMBEDDED_PG_PORT', 'DB_POOL_SIZE', 'BODY_LIMIT', 'DB_BATCH_POOL_SIZE', 'DB_JOB_POOL_SIZE',
    'DB_ACQUIRE_TIMEOUT_MS', 'DB_STATEMENT_TIMEOUT_MS', 'DB_LOCK_TIMEOUT_MS', 'DB_IDLE_TX_TIMEOUT_MS', 'DB_NESTED_ACQUIRE', 'JOBS',
    'SHUTDOWN_GRACE_MS', 'PUBLIC_BASE_URL', 'LOG_FORMAT', 'EVIDENCE_DIR',
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
  c.dbBatchPoolSize = vars.DB_BATCH_POOL_SIZE ?? 3;
  c.dbJobPoolSize = vars.DB_JOB_POOL_SIZE ?? 4;
  c.dbAcquireTimeoutMs = vars.DB_ACQUIRE_TIMEOUT_MS ?? 5000;
  c.dbStatementTimeoutMs = vars.DB_STATEMENT_TIMEOUT_MS ?? 30_000;
  c.dbLockTimeoutMs = vars.DB_LOCK_TIMEOUT_MS ?? 5000;
  c.dbIdleTxTimeoutMs = vars.DB_IDLE_TX_TIMEOUT_MS ?? 60_000;
  c.dbNestedAcquire = vars.DB_NESTED_ACQUIRE ?? 'warn';
  c.jobs = vars.JOBS ?? true;
  c.shutdownGraceMs = vars.SHUTDOWN_GRACE_MS ?? 10_000;
  c.bodyLimit = vars.BODY_LIMIT ?? '1mb';
  c.publicBaseUrl = (vars.PUBLIC_BASE_URL ?? `http://localhost:${c.port}`).replace(/\/+$/, '');
  c.logFormat = vars.LOG_FORMAT;
  c.evidenceDir = vars.EVIDENCE_DIR ?? `${c.dataDir}/evidence`;
  return c;
}

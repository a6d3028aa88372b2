import { DataSource } from 'typeorm';
import { TooManyAttempts } from '../platform/http/app-error';

/** What a key has left after a request: for the `RateLimit-*` headers. */
export interface RateLimitState {
  /** Requests at once (the bucket's size). */
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

/** The bank API's limit per key: 60 requests at once, 2 more each second. */
export const BANK_BURST = 60;
export const BANK_PER_SECOND = 2;

/**
 * A token bucket per API key, kept in PostgreSQL so that it holds across every
 * instance of the service: `burst` requests at once, refilled at `perSecond`.
 * Bank keys go through it: a bank's systems may poll, but not scrape the
 * county. One statement takes a token or refuses, with the database's clock,
 * so two instances never both spend the last token.
 */
export class RateLimiter {
  constructor(
    private readonly db: DataSource,
    private readonly burst: number,
    private readonly perSecond: number,
  ) {}

  /**
   * Takes a token for `key` and says what is left (whole requests) and in how many seconds
   * the bucket is full again; or throws 429 with the seconds until one is back. `now` is for tests.
   */
  async take(key: string, now?: Date): Promise<RateLimitState> {
    const [taken]: { tokens: number }[] = await this.db.query(
      `WITH t AS (SELECT COALESCE($4::timestamptz, clock_timestamp()) AS now)
       INSERT INTO bank_rate_buckets AS b (key_id, tokens, at) SELECT $1, $2::float8 - 1, t.now FROM t
       ON CONFLICT (key_id) DO UPDATE
          SET tokens = LEAST($2::float8, b.tokens + GREATEST(0, extract(epoch FROM (SELECT now FROM t) - b.at)) * $3::float8) - 1,
              at = GREATEST(b.at, (SELECT now FROM t))
        WHERE LEAST($2::float8, b.tokens + GREATEST(0, extract(epoch FROM (SELECT now FROM t) - b.at)) * $3::float8) >= 1
       RETURNING b.tokens`,
      [key, this.burst, this.perSecond, now ?? null],
    );
    if (taken) return { limit: this.burst, remaining: Math.max(0, Math.floor(taken.tokens)), resetSeconds: Math.ceil((this.burst - taken.tokens) / this.perSecond) };
    const [b]: { tokens: number }[] = await this.db.query(
      `SELECT LEAST($2::float8, tokens + GREATEST(0, extract(epoch FROM COALESCE($3::timestamptz, clock_timestamp()) - at)) * $4::float8) AS tokens
         FROM bank_rate_buckets WHERE key_id = $1`,
      [key, this.burst, now ?? null, this.perSecond],
    );
    throw new TooManyAttempts('bank API rate limit reached; slow down', Math.max(1, Math.ceil((1 - (b?.tokens ?? 0)) / this.perSecond)));
  }
}

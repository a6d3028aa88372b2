import { TooManyAttempts } from '../platform/http/app-error';

/**
 * A token bucket per API key, in memory: `burst` requests at once, refilled at
 * `perSecond`. Bank keys go through it: a bank's systems may poll, but not
 * scrape the county. (Per process: with N instances a key gets N times the rate.)
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {}

  take(key: string, now = Date.now()): void {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      throw new TooManyAttempts('bank API rate limit reached; slow down', Math.ceil((1 - b.tokens) / this.perSecond));
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.buckets.clear();
  }
}

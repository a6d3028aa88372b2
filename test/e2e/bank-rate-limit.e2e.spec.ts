import { randomUUID } from 'crypto';
import { DataSource } from 'typeorm';
import { RateLimiter } from '../../src/banks/rate-limit';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, issueKey, makeCounty, newIdNumber } from '../helpers/fixtures';

/** A bank's rate limit is kept in PostgreSQL: it holds across instances of the service (issue 18). */
describe('bank rate limit (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let c: County;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp(); // a second instance of the service on the same database
    c = await makeCounty(a);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a token bucket per key: a burst, then 429 with Retry-After until tokens come back', async () => {
    const limiter = new RateLimiter(a.app.get(DataSource), 3, 1);
    const key = randomUUID();
    const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 0, 0, s));
    // What is left after each, and the seconds until the bucket is full again (for the RateLimit-* headers).
    expect(await limiter.take(key, at(0))).toEqual({ limit: 3, remaining: 2, resetSeconds: 1 });
    expect(await limiter.take(key, at(0))).toEqual({ limit: 3, remaining: 1, resetSeconds: 2 });
    expect(await limiter.take(key, at(0))).toEqual({ limit: 3, remaining: 0, resetSeconds: 3 });
    await expect(limiter.take(key, at(0))).rejects.toMatchObject({ status: 429, headers: { 'Retry-After': '1' } });
    await limiter.take(randomUUID(), at(0)); // another key has its own bucket
    await limiter.take(key, at(1)); // one token back after a second
    await expect(limiter.take(key, at(1))).rejects.toMatchObject({ status: 429 });
    await limiter.take(key, at(60)); // never more than the burst
    await limiter.take(key, at(60));
    await limiter.take(key, at(60));
    await expect(limiter.take(key, at(60))).rejects.toMatchObject({ status: 429 });
  });

  it('two instances share one limit: 80 lookups spread over both let through no more than one instance would', async () => {
    const key = bearer(await issueKey(a, c.tenantId, 'bank', { bankId: c.bankId }));
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 80; i++) statuses.push((await (i % 2 ? b : a).http().get(`/v1/bank/grades?idNumber=${newIdNumber()}`).set(key)).status);
    const seconds = (Date.now() - started) / 1000;
    const served = statuses.filter((s) => s === 404).length;
    // The burst is 60, refilled at 2 a second; each instance on its own would have served all 80 (40 each).
    expect(served).toBeGreaterThanOrEqual(60);
    expect(served).toBeLessThanOrEqual(60 + Math.ceil(seconds * 2) + 1);
    expect(served).toBeLessThan(80);
    expect(statuses.filter((s) => s !== 404).every((s) => s === 429)).toBe(true);
    const refused = await a.http().get(`/v1/bank/grades?idNumber=${newIdNumber()}`).set(key);
    if (refused.status === 429) expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

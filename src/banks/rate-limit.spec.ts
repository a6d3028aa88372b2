import { RateLimiter } from './rate-limit';

describe('bank rate limit', () => {
  it('allows a burst, then refuses with Retry-After until tokens come back', () => {
    const l = new RateLimiter(3, 1);
    for (let i = 0; i < 3; i++) l.take('k', 1000);
    expect(() => l.take('k', 1000)).toThrow(expect.objectContaining({ status: 429 }));
    expect(() => l.take('other', 1000)).not.toThrow();
    expect(() => l.take('k', 2000)).not.toThrow(); // one token after a second
    expect(() => l.take('k', 2000)).toThrow();
  });
});

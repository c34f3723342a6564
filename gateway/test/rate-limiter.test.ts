/**
 * The request limit never lapses: when the shared counters cannot be reached, each replica
 * counts in its own memory against the same limit (README "When a dependency fails").
 */
import { RedisCache } from '@app/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../tests/support/ports.js';
import { RateLimiter } from '../src/rate-limiter.js';

describe('RateLimiter without its shared counters', () => {
  let cache: RedisCache;
  let limiter: RateLimiter;
  afterAll(async () => {
    await limiter?.close();
    await cache?.close();
  });

  it('still refuses past the limit, counting in memory, and says so', async () => {
    // A Redis URL nothing listens on: every command fails.
    cache = RedisCache.connect(`redis://127.0.0.1:${await freePort()}`, { commandTimeoutMs: 200 });
    let fallbacks = 0;
    limiter = new RateLimiter(cache, 60, { user: 3, anonymous: 2 }, { onFallback: () => fallbacks++ });
    const anonymous = { ip: `198.51.100.${Math.floor(Math.random() * 200)}` };
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.check(anonymous));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(decisions[2]).toMatchObject({ limit: 2, remaining: 0, retryAfter: expect.any(Number) });
    // A user has a count of their own; a batch costs its size.
    expect((await limiter.check({ userId: 'u-1', ip: anonymous.ip }, 3)).allowed).toBe(true);
    expect((await limiter.check({ userId: 'u-1', ip: anonymous.ip })).allowed).toBe(false);
    expect(fallbacks).toBe(5);
  });
});

/**
 * The request limit never lapses: when the shared counters cannot be reached, each replica
 * counts in its own memory against the same limit (README "When a dependency fails").
 */
import { randomUUID } from 'node:crypto';
import { cacheKeys, RedisCache } from '@app/platform';
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
    // The counts could not be shared: said once per failed sync, kept and sent again later.
    await limiter.flush();
    expect(fallbacks).toBeGreaterThan(0);
    expect((await limiter.check(anonymous)).allowed).toBe(false);
  });
});

describe('RateLimiter shared by replicas through Redis', () => {
  const closers: { close(): Promise<unknown> }[] = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c.close();
  });

  it('decides in memory, shares its counts at each sync, and refuses what another replica used up', async () => {
    const redis = RedisCache.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    // Replica b syncs only when told: what it knows of a's counts is what the test lets it learn.
    const a = new RateLimiter(redis, 60, { user: 5, anonymous: 5 }, { syncMs: 60_000 });
    const b = new RateLimiter(redis, 60, { user: 5, anonymous: 5 }, { syncMs: 60_000 });
    closers.push(redis, a, b);
    const client = { userId: `rate-${randomUUID()}`, ip: '192.0.2.1' };
    for (let i = 0; i < 4; i++) expect((await a.check(client)).allowed).toBe(true);
    await a.flush();
    // b has not heard yet: the bound is what it lets through before its own sync.
    expect(await b.check(client)).toMatchObject({ allowed: true, remaining: 4 });
    await b.flush();
    // Now b knows all 5; a has not heard of b's one yet and lets one more through (the bound) ...
    expect(await b.check(client)).toMatchObject({ allowed: false, remaining: 0 });
    expect((await a.check(client)).allowed).toBe(true);
    // ... until its next sync.
    await a.flush();
    expect((await a.check(client)).allowed).toBe(false);
    await Promise.all([a.flush(), b.flush()]);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const shared = await redis.get(cacheKeys.rateLimit(`user:${client.userId}`, nowSeconds - (nowSeconds % 60)));
    // Every request counted once, refused ones included: 4 + 1 + 1 (b) + 1 + 1 (a).
    expect(Number(shared)).toBe(8);
  });

  it('sends the counts of every client in a sync in one round trip, and each total comes back to its client', async () => {
    const redis = RedisCache.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    let roundTrips = 0;
    const counted = new Proxy(redis, {
      get: (target, prop, receiver) => {
        if (prop === 'incrByMany' || prop === 'incrBy') roundTrips++;
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const a = new RateLimiter(counted, 60, { user: 3, anonymous: 3 }, { syncMs: 60_000 });
    const b = new RateLimiter(redis, 60, { user: 3, anonymous: 3 }, { syncMs: 60_000 });
    closers.push(redis, a, b);
    const clients = Array.from({ length: 50 }, () => ({ userId: `rate-${randomUUID()}`, ip: '192.0.2.2' }));
    for (const [i, client] of clients.entries()) for (let n = 0; n <= i % 3; n++) await a.check(client);
    await a.flush();
    expect(roundTrips).toBe(1);
    // Each client's own count reached the shared counters: b refuses exactly those a used up.
    await Promise.all(clients.map((client) => b.check(client)));
    await b.flush();
    for (const [i, client] of clients.entries()) expect((await b.check(client)).allowed, `client ${i}`).toBe(i % 3 === 0);
  });
});

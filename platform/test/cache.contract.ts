import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../src/cache/cache.js';
import { cacheKeys } from '../src/cache/cache-keys.js';

/** The one suite every Cache implementation must pass. */
export function cacheContract(name: string, create: () => Promise<Cache> | Cache) {
  describe(`Cache contract: ${name}`, () => {
    let cache: Cache;
    const key = (label: string) => `contract:${label}:${randomUUID()}`;
    beforeAll(async () => {
      cache = await create();
    });
    afterAll(async () => {
      await cache.close();
      await cache.close(); // idempotent
    });

    it('round-trips values and misses unknown keys', async () => {
      const k = key('rt');
      expect(await cache.get(k)).toBeNull();
      await cache.set(k, 'v1');
      expect(await cache.get(k)).toBe('v1');
      await cache.set(k, 'v2', 60);
      expect(await cache.get(k)).toBe('v2');
    });

    it('mget keeps the order and reports misses as null', async () => {
      const [a, b, c] = [key('a'), key('b'), key('c')];
      await cache.set(a, '1');
      await cache.set(c, '3');
      expect(await cache.mget([a, b, c])).toEqual(['1', null, '3']);
      expect(await cache.mget([])).toEqual([]);
    });

    it('expires keys after their TTL', async () => {
      const k = key('ttl');
      await cache.set(k, 'x', 0.2);
      expect(await cache.get(k)).toBe('x');
      await new Promise((r) => setTimeout(r, 400));
      expect(await cache.get(k)).toBeNull();
      expect(await cache.ttl(k)).toBe(-2);
    });

    it('reports the remaining TTL, or -1 without one', async () => {
      const [withTtl, without] = [key('t1'), key('t2')];
      await cache.set(withTtl, 'x', 100);
      await cache.set(without, 'x');
      const ttl = await cache.ttl(withTtl);
      expect(ttl).toBeGreaterThan(90);
      expect(ttl).toBeLessThanOrEqual(100);
      expect(await cache.ttl(without)).toBe(-1);
    });

    it('deletes and counts what it deleted', async () => {
      const [a, b] = [key('d1'), key('d2')];
      await cache.set(a, '1');
      expect(await cache.del(a, b)).toBe(1);
      expect(await cache.get(a)).toBeNull();
      expect(await cache.del()).toBe(0);
    });

    it('setIfAbsent sets once', async () => {
      const k = key('nx');
      expect(await cache.setIfAbsent(k, 'first', 60)).toBe(true);
      expect(await cache.setIfAbsent(k, 'second', 60)).toBe(false);
      expect(await cache.get(k)).toBe('first');
    });

    it('incr counts atomically under concurrency and keeps the first TTL', async () => {
      const k = key('incr');
      const counts = await Promise.all(Array.from({ length: 50 }, () => cache.incr(k, 60)));
      expect(new Set(counts).size).toBe(50);
      expect(Math.max(...counts)).toBe(50);
      expect(await cache.ttl(k)).toBeGreaterThan(0);
    });

    it('incr starts again after the window expires', async () => {
      const k = key('window');
      await cache.incr(k, 0.2);
      await cache.incr(k, 0.2);
      await new Promise((r) => setTimeout(r, 400));
      expect(await cache.incr(k, 0.2)).toBe(1);
    });

    it('incrBy adds its amount atomically and keeps the first TTL', async () => {
      const k = key('incrby');
      const totals = await Promise.all(Array.from({ length: 20 }, (_, i) => cache.incrBy(k, i + 1, 60)));
      expect(Math.max(...totals)).toBe(210);
      expect(new Set(totals).size).toBe(20);
      expect(await cache.incr(k, 1)).toBe(211);
      expect(await cache.ttl(k)).toBeGreaterThan(50);
    });

    it('incrByMany adds each amount in one call and answers the totals in order, keeping each first TTL', async () => {
      const [a, b] = [key('many-a'), key('many-b')];
      await cache.incrBy(a, 5, 60);
      expect(await cache.incrByMany([])).toEqual([]);
      expect(
        await cache.incrByMany([
          { key: a, amount: 2, ttlSeconds: 1 },
          { key: b, amount: 3, ttlSeconds: 60 },
          { key: a, amount: 1, ttlSeconds: 1 },
        ]),
      ).toEqual([7, 3, 8]);
      expect(await cache.ttl(a)).toBeGreaterThan(50);
      expect(await cache.ttl(b)).toBeGreaterThan(50);
    });

    // A rate-limit sync names every client seen in 100 ms: a flood of addresses must not break it
    // (three arguments per counter: spread into one call, 50,000 were past V8's stack).
    it('incrByMany takes 60,000 counters in one call', { timeout: 30_000 }, async () => {
      const entries = Array.from({ length: 60_000 }, (_, i) => ({ key: key(`flood-${i}`), amount: (i % 3) + 1, ttlSeconds: 30 }));
      const totals = await cache.incrByMany(entries);
      expect(totals).toHaveLength(entries.length);
      expect(totals.every((total, i) => total === (i % 3) + 1)).toBe(true);
      expect(await cache.ttl(entries[59_999]!.key)).toBeGreaterThan(20);
    });

    // Security state shares the cache with copies anyone can make more of (APQ documents,
    // profiles): however many of those are written, a revocation must stay until it expires.
    it('keeps state through a flood of more than 100k cache-only keys', { timeout: 60_000 }, async () => {
      const run = randomUUID();
      const blacklisted = cacheKeys.blacklist(`jti-${run}`);
      const revoked = cacheKeys.revokedUser(`user-${run}`);
      const session = cacheKeys.session(`family-${run}`);
      await cache.set(blacklisted, '1', 120);
      await cache.set(revoked, '1', 120);
      await cache.set(session, 'v');
      const flood = 100_001;
      for (let from = 0; from < flood; from += 5_000) {
        await Promise.all(
          Array.from({ length: Math.min(5_000, flood - from) }, (_, i) =>
            cache.set((from + i) % 2 ? cacheKeys.apq(`${run}-${from + i}`) : cacheKeys.profile(`${run}-${from + i}`), 'x', 30),
          ),
        );
      }
      expect(await cache.mget([blacklisted, revoked, session])).toEqual(['1', '1', 'v']);
      expect(await cache.ttl(session)).toBe(-1);
      await cache.del(blacklisted, revoked, session);
    });

    it('lists the entries under a prefix, with the life they have left', async () => {
      const prefix = `contract-scan:${randomUUID()}:`;
      await cache.set(`${prefix}a`, '1', 60);
      await cache.set(`${prefix}b`, '2');
      await cache.set(`${prefix}short`, '3', 0.1);
      await cache.set(`contract-scan:${randomUUID()}:other`, 'x', 60);
      await new Promise((r) => setTimeout(r, 300));
      const entries = (await cache.scanPrefix(prefix)).sort((x, y) => x.key.localeCompare(y.key));
      expect(entries).toEqual([
        { key: `${prefix}a`, value: '1', ttlMs: expect.any(Number) },
        { key: `${prefix}b`, value: '2', ttlMs: null },
      ]);
      expect(entries[0]!.ttlMs).toBeGreaterThan(50_000);
      expect(entries[0]!.ttlMs).toBeLessThanOrEqual(60_000);
      expect(await cache.scanPrefix(`contract-scan:${randomUUID()}:`)).toEqual([]);
      await cache.del(`${prefix}a`, `${prefix}b`);
    });

    it('takes a prefix literally, glob characters included', async () => {
      const run = randomUUID();
      const literal = `contract-glob:${run}:*?[x]`;
      await cache.set(`${literal}1`, 'mine', 60);
      // What the prefix would match as a pattern: anything with an x after the run.
      await cache.set(`contract-glob:${run}:axb`, 'not mine', 60);
      expect(await cache.scanPrefix(literal)).toEqual([{ key: `${literal}1`, value: 'mine', ttlMs: expect.any(Number) }]);
      await cache.del(`${literal}1`, `contract-glob:${run}:axb`);
    });

    it('is reachable while it answers', async () => {
      await cache.get(key('reach'));
      expect(cache.reachable()).toBe(true);
    });

    it('reports health', async () => {
      expect((await cache.health()).ok).toBe(true);
    });
  });
}

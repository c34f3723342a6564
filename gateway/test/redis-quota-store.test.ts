import { randomUUID } from 'node:crypto';
import { cacheKeys, RedisCache, ServiceUnavailableError } from '@app/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisQuotaStore } from '../src/limits/redis-quota-store.js';
import { quotaStoreContract } from './quota-store.contract.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

quotaStoreContract('redis', () => {
  const cache = RedisCache.connect(redisUrl);
  return { store: new RedisQuotaStore(cache.redis), close: () => cache.close() };
});

describe('RedisQuotaStore', () => {
  // Two gateway replicas: two connections, one count.
  const replicas = [RedisCache.connect(redisUrl), RedisCache.connect(redisUrl)];
  afterAll(async () => {
    for (const cache of replicas) await cache.close();
  });

  it('shares the count between replicas', async () => {
    const [a, b] = replicas.map((cache) => new RedisQuotaStore(cache.redis));
    const policy = { name: `replicas-${randomUUID()}`, points: 3, durationSeconds: 3600 };
    const userId = randomUUID();
    expect(await a.consume(policy, userId)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await b.consume(policy, userId)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await a.consume(policy, userId)).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await b.consume(policy, userId);
    expect(refused.allowed).toBe(false);
    expect(refused.reset).toBe((await a.consume(policy, userId)).reset);
  });

  it('keeps the count under a namespaced key that expires with its window', async () => {
    const store = new RedisQuotaStore(replicas[0].redis);
    const policy = { name: `keys-${randomUUID()}`, points: 5, durationSeconds: 3600 };
    const userId = randomUUID();
    const decision = await store.consume(policy, userId, 2);
    const key = cacheKeys.quota(policy.name, userId, decision.reset - 3600);
    expect(key).toBe(`quota:${policy.name}:${userId}:${decision.reset - 3600}`);
    expect(await replicas[0].redis.get(key)).toBe('2');
    const ttl = await replicas[0].redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(decision.reset - Math.floor(Date.now() / 1000) + 1);
  });

  it('fails closed, quickly, when Redis cannot be reached', async () => {
    // The gateway's own client settings (RedisCache.connect), pointed at a closed port.
    const down = RedisCache.connect('redis://127.0.0.1:1');
    try {
      const store = new RedisQuotaStore(down.redis);
      const started = Date.now();
      const error = await store.consume({ name: 'down', points: 10, durationSeconds: 3600 }, randomUUID()).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as Error).message).toMatch(/rate limit could not be checked/i);
      expect(Date.now() - started).toBeLessThan(2000); // timeoutMs (1 s) bounds it; the client alone would take seconds
      await expect(
        store.refund({ name: 'down', points: 10, durationSeconds: 3600 }, 'u', {
          policy: 'down',
          allowed: true,
          limit: 10,
          remaining: 9,
          reset: 0,
          retryAfter: 0,
        }),
      ).rejects.toBeInstanceOf(ServiceUnavailableError);
    } finally {
      down.redis.disconnect();
    }
  });
});

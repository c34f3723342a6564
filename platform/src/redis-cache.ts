import { Redis } from 'ioredis';
import type { Cache } from './cache.js';

/** Redis-backed cache: what replicas share (sessions, blacklist, JWKS, profiles, rate limits). */
export class RedisCache implements Cache {
  private closed = false;
  constructor(readonly redis: Redis) {}

  static connect(url: string): RedisCache {
    const redis = new Redis(url, {
      lazyConnect: false,
      // Fail fast while Redis is down instead of queueing requests forever.
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      connectTimeout: 2_000,
    });
    // ioredis reconnects by itself; without a listener an outage would crash the process.
    redis.on('error', () => {});
    return new RedisCache(redis);
  }

  get(key: string) {
    return this.redis.get(key);
  }
  async mget(keys: string[]) {
    return keys.length ? this.redis.mget(...keys) : [];
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    if (ttlSeconds === undefined) await this.redis.set(key, value);
    else await this.redis.set(key, value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000)));
  }
  async setIfAbsent(key: string, value: string, ttlSeconds: number) {
    return (await this.redis.set(key, value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000)), 'NX')) === 'OK';
  }
  async del(...keys: string[]) {
    return keys.length ? this.redis.del(...keys) : 0;
  }
  async incr(key: string, ttlSeconds: number) {
    const results = await this.redis
      .multi()
      .incr(key)
      .pexpire(key, Math.max(1, Math.round(ttlSeconds * 1000)), 'NX')
      .exec();
    const [err, count] = results?.[0] ?? [new Error('empty MULTI result'), 0];
    if (err) throw err;
    return Number(count);
  }
  ttl(key: string) {
    return this.redis.ttl(key);
  }
  async health() {
    try {
      await this.redis.ping();
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

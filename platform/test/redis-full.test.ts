/**
 * Redis runs with `noeviction` (docker-compose.yml), so when it is full it refuses writes rather
 * than dropping a revocation. RedisCache then skips writes of cache-only keys (a copy is not
 * worth failing a request for) and fails writes of security state loudly; reads, and so
 * revocation checks, keep working. Also: credentials in REDIS_URL, as docker compose passes them.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../tests/support/redis-server.js';
import { cacheKeys } from '../src/cache/cache-keys.js';
import { RedisCache } from '../src/cache/redis-cache.js';
import { ServiceUnavailableError } from '../src/errors.js';

describe('RedisCache on a full Redis (maxmemory, noeviction)', () => {
  let server: TestRedis;
  let raw: Redis;
  let cache: RedisCache;
  const warnings: unknown[] = [];
  const blacklisted = cacheKeys.blacklist('logged-out-jti');

  /**
   * Writes until Redis refuses, then moves maxmemory a quarter megabyte below what is used, so
   * client buffers freed later cannot bring it back under the limit between two writes.
   */
  async function fillUp() {
    const chunk = 'x'.repeat(1024);
    for (let i = 0; ; i++) {
      if (i > 10_000) throw new Error('Redis never became full');
      const refused = await raw.set(`filler:${i}`, chunk).then(
        () => false,
        (err: Error) => /OOM/.test(err.message),
      );
      if (refused) break;
    }
    const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
    await raw.config('SET', 'maxmemory', String(used - 256 * 1024));
    await expect(raw.set('probe', '1')).rejects.toThrow(/OOM/);
  }

  beforeAll(async () => {
    server = await startRedis(['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction']);
    raw = new Redis(server.url);
    const logger = { warn: (...args: unknown[]) => warnings.push(args) } as never;
    cache = RedisCache.connect(server.url, { logger });
    await cache.set(blacklisted, '1', 600);
    await fillUp();
  });
  afterAll(async () => {
    raw?.disconnect();
    await cache?.close();
    await server?.stop();
  });

  it('a write of a cache-only key is skipped without an error, and reported', async () => {
    await expect(cache.set(cacheKeys.profile('u1'), '{"locale":"ja-JP"}', 300)).resolves.toBeUndefined();
    await expect(cache.set(cacheKeys.apq('hash'), '{ __typename }', 86_400)).resolves.toBeUndefined();
    await expect(cache.setIfAbsent(cacheKeys.jwks(), '{}', 3600)).resolves.toBe(false);
    expect(await cache.get(cacheKeys.profile('u1'))).toBeNull();
    expect(warnings.length).toBe(1); // one report per interval, not one per write
  });

  it('a write of security state fails loudly, as SERVICE_UNAVAILABLE', async () => {
    for (const write of [
      () => cache.set(cacheKeys.blacklist('another-jti'), '1', 600),
      () => cache.incr(cacheKeys.loginAttempts('account:u1'), 900),
    ]) {
      const err = await write().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect((err as ServiceUnavailableError).code).toBe('SERVICE_UNAVAILABLE');
      expect(((err as Error).cause as Error).message).toMatch(/^OOM/);
    }
  });

  it('revocation checks (reads) still answer', async () => {
    expect(await cache.mget([blacklisted, cacheKeys.revokedUser('u1')])).toEqual(['1', null]);
    expect((await cache.health()).ok).toBe(true);
  });
});

describe('RedisCache with a password in REDIS_URL', () => {
  it('connects with redis://:password@host and is refused without it', async () => {
    const password = randomBytes(16).toString('hex');
    const server = await startRedis([], password);
    const withPassword = RedisCache.connect(server.url);
    const without = RedisCache.connect(`redis://127.0.0.1:${server.port}`);
    try {
      await withPassword.set(cacheKeys.blacklist('j'), '1', 60);
      expect(await withPassword.get(cacheKeys.blacklist('j'))).toBe('1');
      await expect(without.get(cacheKeys.blacklist('j'))).rejects.toThrow(/NOAUTH|Authentication/i);
    } finally {
      await withPassword.close();
      await without.close();
      await server.stop();
    }
  });
});

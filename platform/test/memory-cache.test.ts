/**
 * The in-memory cache of the embedded mode bounds only what may be lost: cache-only keys
 * (profiles, catalog, APQ, JWKS) are evicted least recently used first; security state
 * (revocations, sessions, counters, LINE login states) is kept until it expires or is deleted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { apqBudgetKey, cacheKeys, catalogCacheKeys, isCacheOnlyKey } from '../src/cache/cache-keys.js';
import { MemoryCache } from '../src/cache/memory-cache.js';

const caches: MemoryCache[] = [];
const open = (options?: ConstructorParameters<typeof MemoryCache>[0]) => {
  const cache = new MemoryCache(options);
  caches.push(cache);
  return cache;
};
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

const STATE_KEYS = [
  cacheKeys.blacklist('jti-1'),
  cacheKeys.revokedUser('user-1'),
  'revoked-session:family-1',
  cacheKeys.session('family-1'),
  cacheKeys.loginAttempts('account:user-1'),
  cacheKeys.rateLimit('ip:127.0.0.1', 0),
  cacheKeys.quota('map-generate', 'user-1', 0),
  'line-login:state-1',
  cacheKeys.lineWebhookProcessed('event-1'),
  apqBudgetKey(0),
];
const COPY_KEYS = [
  cacheKeys.apq('abc'),
  cacheKeys.profile('user-1'),
  cacheKeys.jwks(),
  catalogCacheKeys.product('p'),
  catalogCacheKeys.category('c'),
  catalogCacheKeys.categoryProducts('c'),
  catalogCacheKeys.categories(),
];

describe('key classes', () => {
  it('only copies are cache-only; revocations, sessions and counters are state, and so is any unknown key', () => {
    for (const key of COPY_KEYS) expect(isCacheOnlyKey(key), key).toBe(true);
    for (const key of STATE_KEYS) expect(isCacheOnlyKey(key), key).toBe(false);
    expect(isCacheOnlyKey('some-new-kind:1')).toBe(false);
  });
});

describe('MemoryCache eviction', () => {
  it('a flood of 100k+ APQ and profile keys evicts neither the blacklist nor any other state', async () => {
    const cache = open(); // the embedded mode's default bound (100k)
    for (const key of STATE_KEYS) await cache.set(key, 'kept', 600);
    await cache.set(cacheKeys.session('no-ttl'), 'kept');
    for (let i = 0; i < 150_000; i++) await cache.set(i % 2 ? cacheKeys.apq(`h${i}`) : cacheKeys.profile(`u${i}`), 'x', 300);
    expect(await cache.mget(STATE_KEYS)).toEqual(STATE_KEYS.map(() => 'kept'));
    expect(await cache.get(cacheKeys.session('no-ttl'))).toBe('kept');
    // ...while the copies are bounded: the oldest ones are gone, the newest are there.
    expect(await cache.get(cacheKeys.profile('u0'))).toBeNull();
    expect(await cache.get(cacheKeys.apq('h149999'))).toBe('x');
  });

  it('evicts copies least recently used first', async () => {
    const cache = open({ maxEntries: 3 });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => cacheKeys.profile(id));
    await cache.set(a, '1');
    await cache.set(b, '2');
    await cache.set(c, '3');
    expect(await cache.get(a)).toBe('1'); // a is now the most recently used
    await cache.set(d, '4');
    expect(await cache.mget([a, b, c, d])).toEqual(['1', null, '3', '4']);
  });

  it('counters and state past the bound are all kept, and expired state is swept', async () => {
    const cache = open({ maxEntries: 2, sweepIntervalMs: 50 });
    for (let i = 0; i < 50; i++) await cache.incr(cacheKeys.rateLimit(`ip:10.0.0.${i}`, 0), 0.2);
    await cache.set(cacheKeys.blacklist('long'), '1', 60);
    for (let i = 0; i < 10; i++) await cache.set(cacheKeys.apq(`h${i}`), 'x');
    expect(await cache.get(cacheKeys.rateLimit('ip:10.0.0.0', 0))).toBe('1');
    expect(await cache.get(cacheKeys.rateLimit('ip:10.0.0.49', 0))).toBe('1');
    await new Promise((r) => setTimeout(r, 400));
    expect(await cache.get(cacheKeys.rateLimit('ip:10.0.0.0', 0))).toBeNull();
    expect(await cache.get(cacheKeys.blacklist('long'))).toBe('1');
  });

  it('a caller may say every key is evictable (a replica-local copy cache)', async () => {
    const cache = open({ maxEntries: 1, evictable: () => true });
    await cache.set('anything:1', '1');
    await cache.set('anything:2', '2');
    expect(await cache.mget(['anything:1', 'anything:2'])).toEqual([null, '2']);
  });
});

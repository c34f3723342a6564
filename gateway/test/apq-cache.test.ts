/**
 * What APQ may store: documents up to a size, and in all replicas together at most a byte budget
 * per window in the shared cache (what is refused still runs; the client sends the full query
 * again). Past the budget a replica keeps new documents in its own bounded memory.
 */
import { apqBudgetKey, type Cache, cacheKeys, MemoryCache } from '@app/platform';
import { afterEach, describe, expect, it } from 'vitest';
import { ApqCache, DEFAULT_APQ_LIMITS } from '../src/apq-cache.js';

const caches: MemoryCache[] = [];
const shared = () => {
  const cache = new MemoryCache();
  caches.push(cache);
  return cache;
};
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

const doc = (label: string, bytes: number) => `# ${label} ${'x'.repeat(Math.max(0, bytes - label.length - 18))}\n{ __typename }`;

describe('ApqCache', () => {
  it('stores nothing of a document over 16 KiB, and everything of one at the limit', async () => {
    const cache = shared();
    const apq = new ApqCache(cache);
    const big = doc('big', DEFAULT_APQ_LIMITS.maxDocumentBytes + 1);
    const fits = doc('fits', DEFAULT_APQ_LIMITS.maxDocumentBytes);
    expect(Buffer.byteLength(big)).toBe(16 * 1024 + 1);
    expect(Buffer.byteLength(fits)).toBe(16 * 1024);
    await apq.set('h-big', big, { ttl: 86_400 });
    await apq.set('h-fits', fits, { ttl: 86_400 });
    expect(await apq.get('h-big')).toBeUndefined();
    expect(await cache.get(cacheKeys.apq('h-big'))).toBeNull();
    expect(await cache.get(cacheKeys.apq('h-fits'))).toBe(fits);
    expect(await cache.ttl(cacheKeys.apq('h-fits'))).toBeGreaterThan(86_000);
  });

  it('shares documents until the window budget is spent, then keeps new ones in the registering replica only', async () => {
    const cache = shared();
    const limits = { budgetBytes: 100, localEntries: 10 };
    const [replicaA, replicaB] = [new ApqCache(cache, limits), new ApqCache(cache, limits)];
    const [first, second] = [doc('first', 60), doc('second', 60)];
    await replicaA.set('h1', first);
    await replicaA.set('h2', second); // 120 bytes > 100
    expect(await replicaB.get('h1')).toBe(first);
    expect(await replicaB.get('h2')).toBeUndefined();
    expect(await replicaA.get('h2')).toBe(second);
    expect(Number(await cache.get(apqBudgetKey(Math.floor(Date.now() / 1000 / 3600) * 3600)))).toBe(120);
  });

  it("a replica's own copies are bounded, least recently used dropped first", async () => {
    const cache = shared();
    const apq = new ApqCache(cache, { budgetBytes: 0, localEntries: 2 }); // nothing shared: only local copies
    await apq.set('a', doc('a', 30));
    await apq.set('b', doc('b', 30));
    expect(await apq.get('a')).toBeDefined();
    await apq.set('c', doc('c', 30));
    expect(await apq.get('b')).toBeUndefined();
    expect(await apq.get('a')).toBeDefined();
    expect(await apq.get('c')).toBeDefined();
  });

  it('a failing shared cache is a miss, never an error', async () => {
    const failing = new Proxy(shared(), {
      get: (target, prop) =>
        ['get', 'set', 'incrBy', 'del'].includes(String(prop)) ? async () => Promise.reject(new Error('down')) : Reflect.get(target, prop),
    }) as Cache;
    const apq = new ApqCache(failing);
    await expect(apq.get('unknown')).resolves.toBeUndefined();
    await expect(apq.set('h', doc('h', 40))).resolves.toBeUndefined();
    await expect(apq.get('h')).resolves.toBe(doc('h', 40)); // kept locally
    await expect(apq.delete('h')).resolves.toBeUndefined();
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EventBus, Subjects } from '@app/events';
import { Counter } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Cache, CounterIncrement } from '../src/cache/cache.js';
import { busInvalidation, TwoLevelCache, type TwoLevelCacheOptions } from '../src/cache/two-level-cache.js';

/** What the suite runs on: one shared cache, and the bus as two replicas would each hold it. */
export interface TwoLevelCacheFixture {
  shared: Cache;
  /** Two connections to one bus (for the in-process bus, the same one twice). */
  buses: [EventBus, EventBus];
  close(): Promise<void>;
}

interface Item {
  id: string;
  version: number;
}

/**
 * The real shared cache, with a switch that makes every call fail (the shared cache down) and a
 * count of its reads (to tell a local hit from a shared one).
 */
class ProbeCache implements Cache {
  reads = 0;
  deletes = 0;
  failing = false;
  constructor(private readonly inner: Cache) {}
  private run<R>(call: () => Promise<R>): Promise<R> {
    return this.failing ? Promise.reject(new Error('shared cache down (test)')) : call();
  }
  get(key: string) {
    this.reads++;
    return this.run(() => this.inner.get(key));
  }
  mget(keys: string[]) {
    this.reads++;
    return this.run(() => this.inner.mget(keys));
  }
  set(key: string, value: string, ttlSeconds?: number) {
    return this.run(() => this.inner.set(key, value, ttlSeconds));
  }
  setIfAbsent(key: string, value: string, ttlSeconds: number) {
    return this.run(() => this.inner.setIfAbsent(key, value, ttlSeconds));
  }
  del(...keys: string[]) {
    this.deletes++;
    return this.run(() => this.inner.del(...keys));
  }
  incr(key: string, ttlSeconds: number) {
    return this.run(() => this.inner.incr(key, ttlSeconds));
  }
  incrBy(key: string, amount: number, ttlSeconds: number) {
    return this.run(() => this.inner.incrBy(key, amount, ttlSeconds));
  }
  incrByMany(entries: readonly CounterIncrement[]) {
    return this.run(() => this.inner.incrByMany(entries));
  }
  ttl(key: string) {
    return this.run(() => this.inner.ttl(key));
  }
  scanPrefix(prefix: string) {
    return this.run(() => this.inner.scanPrefix(prefix));
  }
  reachable() {
    return !this.failing && this.inner.reachable();
  }
  health() {
    return this.inner.health();
  }
  async close() {} // the fixture closes the real one
}

/** The "database": a map, and a loader over it that records what it was asked. */
function source() {
  const rows = new Map<string, Item>();
  const calls: string[][] = [];
  const load = async (missing: string[]) => {
    calls.push(missing);
    return new Map(missing.map((id) => [id, rows.get(id) ?? null]));
  };
  const put = (id: string, version: number) => rows.set(id, { id, version });
  return { rows, calls, load, put };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** The one suite a TwoLevelCache must pass on every shared cache and every bus. */
export function twoLevelCacheContract(name: string, create: () => Promise<TwoLevelCacheFixture>) {
  describe(`TwoLevelCache contract: ${name}`, () => {
    let fixture: TwoLevelCacheFixture;
    let probe: ProbeCache;
    const namespace = `tlc:${randomUUID()}`;
    const sharedKey = (id: string) => `${namespace}:${id}`;
    const open: TwoLevelCache<Item>[] = [];
    let fallbacks: Counter<'cache' | 'operation'>;

    beforeAll(async () => {
      fixture = await create();
      probe = new ProbeCache(fixture.shared);
    });
    beforeEach(() => {
      fallbacks = new Counter({ name: 'cache_fallbacks_total', help: 'test', labelNames: ['cache', 'operation'], registers: [] });
    });
    afterAll(async () => {
      await fixture.close();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
      probe.failing = false;
    });

    /** One replica: its own TwoLevelCache, listening on its own bus connection. */
    async function replica(index: 0 | 1, options: Partial<TwoLevelCacheOptions<Item>> = {}) {
      const cache = new TwoLevelCache<Item>({
        name: 'contract',
        shared: probe,
        sharedTtlSeconds: 60,
        localTtlSeconds: 60,
        sharedKey,
        invalidation: busInvalidation(fixture.buses[index], Subjects.CacheKeyInvalidated, {
          encode: (ids) => [{ keys: [...ids] }],
          decode: (data) => data.keys,
        }),
        metrics: { cacheFallbacks: fallbacks },
        secondInvalidationMs: 0, // on only where a test is about it
        ...options,
      });
      open.push(cache);
      await cache.listen();
      return cache;
    }
    const fallbackCount = async (operation: string) =>
      (await fallbacks.get()).values.find((v) => v.labels.operation === operation)?.value ?? 0;

    it('loads once, fills the shared cache with its TTL, and another replica reads it from there', async () => {
      const db = source();
      const [a, b] = [await replica(0), await replica(1)];
      const [x, y, absent] = [randomUUID(), randomUUID(), randomUUID()];
      db.put(x, 1);
      db.put(y, 1);

      expect(await a.getMany([x, absent, y, x], db.load)).toEqual([db.rows.get(x), null, db.rows.get(y), db.rows.get(x)]);
      expect(db.calls).toEqual([[x, absent, y]]); // once, each id once
      expect(JSON.parse((await fixture.shared.get(sharedKey(x)))!)).toEqual({ id: x, version: 1 });
      const ttl = await fixture.shared.ttl(sharedKey(x));
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);

      expect(await b.getMany([y], db.load)).toEqual([{ id: y, version: 1 }]);
      expect(db.calls).toHaveLength(1);
      // Nothing was cached for the absent one: it is asked for again.
      expect(await a.get(absent, async () => null)).toBeNull();
      expect(await fixture.shared.get(sharedKey(absent))).toBeNull();
    });

    it("serves a replica's own copy without reading the shared cache; with no local TTL every read goes there", async () => {
      const db = source();
      const id = randomUUID();
      db.put(id, 1);
      const a = await replica(0);
      await a.getMany([id], db.load);
      const reads = probe.reads;
      expect(await a.getMany([id], db.load)).toEqual([{ id, version: 1 }]);
      expect(probe.reads).toBe(reads);

      const noLocal = await replica(1, { localTtlSeconds: 0 });
      await noLocal.getMany([id], db.load);
      await noLocal.getMany([id], db.load);
      expect(probe.reads).toBe(reads + 2);
      expect(db.calls).toHaveLength(1);
    });

    it("invalidate deletes the shared entry and drops the other replica's copy", async () => {
      const db = source();
      const id = randomUUID();
      db.put(id, 1);
      const [a, b] = [await replica(0), await replica(1)];
      await a.getMany([id], db.load);
      expect(await b.getMany([id], db.load)).toEqual([{ id, version: 1 }]);

      db.put(id, 2);
      await a.invalidate([id]);
      expect(await fixture.shared.get(sharedKey(id))).toBeNull();
      expect(await a.getMany([id], db.load)).toEqual([{ id, version: 2 }]); // the writer reads its write
      await eventually(async () => (await b.getMany([id], db.load))[0]?.version === 2);
    });

    it('a load that started before an invalidation on this replica caches nothing', async () => {
      const db = source();
      const id = randomUUID();
      db.put(id, 1);
      const a = await replica(0);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = a.getMany([id], async (missing) => {
        const old = await db.load(missing); // read before the write commits
        await gate;
        return old;
      });
      await eventually(async () => db.calls.length === 1);
      db.put(id, 2);
      await a.invalidate([id]);
      release();
      expect(await slow).toEqual([{ id, version: 1 }]); // its caller gets what it read
      expect(await fixture.shared.get(sharedKey(id))).toBeNull();
      expect(await a.getMany([id], db.load)).toEqual([{ id, version: 2 }]);
    });

    it('a load that started before another replica invalidated caches nothing once the broadcast arrived', async () => {
      const db = source();
      const [id, sentinel] = [randomUUID(), randomUUID()];
      db.put(id, 1);
      db.put(sentinel, 1);
      const [a, b] = [await replica(0), await replica(1)];
      await a.getMany([sentinel], db.load); // a's own copy: it goes when a hears the broadcast
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = a.getMany([id], async (missing) => {
        const old = await db.load(missing);
        await gate;
        return old;
      });
      await eventually(async () => db.calls.some((c) => c.includes(id)));
      db.put(id, 2);
      await b.invalidate([id, sentinel]);
      // a heard it once its copy of the sentinel is gone (its next read of it reaches the loader).
      await eventually(async () => {
        const before = db.calls.length;
        await a.getMany([sentinel], db.load);
        return db.calls.length > before;
      });
      release();
      expect(await slow).toEqual([{ id, version: 1 }]);
      expect(await fixture.shared.get(sharedKey(id))).toBeNull();
      expect(await a.getMany([id], db.load)).toEqual([{ id, version: 2 }]);
      expect(await b.getMany([id], db.load)).toEqual([{ id, version: 2 }]);
    });

    it('the writer invalidates again, removing an old value a replica wrote back before it heard', async () => {
      const db = source();
      const id = randomUUID();
      db.put(id, 2);
      const a = await replica(0, { secondInvalidationMs: 200 });
      await a.invalidate([id]);
      // A replica that loaded before the write, and had not heard of it, fills the shared cache.
      await fixture.shared.set(sharedKey(id), JSON.stringify({ id, version: 1 }), 60);
      await eventually(async () => (await fixture.shared.get(sharedKey(id))) === null, 2_000);
      expect(await a.getMany([id], db.load)).toEqual([{ id, version: 2 }]);
    });

    it('second invalidations due close together go out as one delete', async () => {
      const ids = Array.from({ length: 10 }, () => randomUUID());
      const a = await replica(0, { secondInvalidationMs: 200 });
      for (const id of ids) await a.invalidate([id]);
      const deletes = probe.deletes;
      // Old values written back by replicas that had not heard yet: the second round removes them all.
      for (const id of ids) await fixture.shared.set(sharedKey(id), JSON.stringify({ id, version: 1 }), 60);
      await eventually(async () => (await Promise.all(ids.map((id) => fixture.shared.get(sharedKey(id))))).every((v) => v === null), 2_000);
      // One delete per 100 ms slot, not one per write (10 writes in a few ms straddle a slot boundary at most once or twice).
      expect(probe.deletes - deletes).toBeLessThanOrEqual(3);
    });

    it('falls back to the loader when the shared cache fails, counts it, and still tells every replica', async () => {
      const db = source();
      const id = randomUUID();
      db.put(id, 1);
      const [a, b] = [await replica(0, { secondInvalidationMs: 500 }), await replica(1)];
      await b.getMany([id], db.load); // b's copy, and the shared entry
      probe.failing = true;

      db.put(id, 2);
      expect(await a.getMany([id], db.load)).toEqual([{ id, version: 2 }]);
      expect(await fallbackCount('read')).toBe(1);
      expect(await fallbackCount('write')).toBe(1);
      expect((await fallbacks.get()).values.every((v) => v.labels.cache === 'contract')).toBe(true);

      await expect(a.invalidate([id])).rejects.toThrow();
      expect(await fallbackCount('invalidate')).toBe(1);
      // b heard it all the same: its copy is gone, so it loads (the shared cache being down).
      await eventually(async () => (await b.getMany([id], db.load))[0]?.version === 2);

      // Back up: the second invalidation deletes the entry the failed first one could not.
      probe.failing = false;
      await eventually(async () => (await fixture.shared.get(sharedKey(id))) === null, 2_000);
    });

    it('copies expire after the local TTL, shared entries after the shared TTL', async () => {
      const db = source();
      const id = randomUUID();
      db.put(id, 1);
      const a = await replica(0, { localTtlSeconds: 0.2, sharedTtlSeconds: 1 });
      await a.getMany([id], db.load);
      await sleep(400);
      const reads = probe.reads;
      expect(await a.getMany([id], db.load)).toEqual([{ id, version: 1 }]);
      expect(probe.reads).toBe(reads + 1); // the shared entry, not the loader
      expect(db.calls).toHaveLength(1);
      await sleep(900);
      expect(await a.getMany([id], db.load)).toEqual([{ id, version: 1 }]);
      expect(db.calls).toHaveLength(2);
    });

    it('treats an entry it cannot read back as a miss, and uses the given serializer', async () => {
      const id = randomUUID();
      await fixture.shared.set(sharedKey(id), '{not json', 60);
      const a = await replica(0);
      expect(await a.get(id, async () => ({ id, version: 3 }))).toEqual({ id, version: 3 });
      expect(JSON.parse((await fixture.shared.get(sharedKey(id)))!)).toEqual({ id, version: 3 });

      const other = randomUUID();
      const b = await replica(1, {
        serializer: {
          serialize: (v) => `${v.id}|${v.version}`,
          deserialize: (raw) => ({ id: raw.split('|')[0], version: Number(raw.split('|')[1]) }),
        },
      });
      await b.get(other, async () => ({ id: other, version: 4 }));
      expect(await fixture.shared.get(sharedKey(other))).toBe(`${other}|4`);
      expect(await b.get(other, async () => null)).toEqual({ id: other, version: 4 });
    });

    it('close stops listening, cancels the second invalidation, and is idempotent', async () => {
      const id = randomUUID();
      const a = await replica(0, { secondInvalidationMs: 200 });
      await a.invalidate([id]);
      await a.close();
      await a.close();
      await fixture.shared.set(sharedKey(id), JSON.stringify({ id, version: 1 }), 60);
      await sleep(400);
      expect(await fixture.shared.get(sharedKey(id))).not.toBeNull();
      await a.invalidate([id]); // a no-op once closed
      expect(await fixture.shared.get(sharedKey(id))).not.toBeNull();
      await fixture.shared.del(sharedKey(id));
    });
  });
}

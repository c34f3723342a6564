import type { EventBus, Subscription } from '@app/events';
import { cacheTtl, MemoryCache, type Cache, type Logger } from '@app/platform';

/** How long after an invalidation a replica refuses to cache what a read that started before it loaded. */
const INVALIDATION_MEMORY_MS = 60_000;
/** The writer invalidates again after this long, to catch a read that was already past its check. */
const SECOND_INVALIDATION_MS = 1_000;

/**
 * Cache-aside reads of the catalog's static data in two levels: the shared cache (Redis,
 * `cacheTtl.staticData`, one day) and a short copy in each replica's memory. Writers call
 * `invalidate(keys)` after their transaction commits: the shared keys are deleted, then
 * `cache.key.invalidated` is broadcast so every replica (this one included) drops its copy.
 *
 * A read that loaded from the database before a write committed must not put that old value
 * back: each replica remembers when it last saw each key invalidated and does not cache a value
 * whose load started before that. A replica that had not heard the broadcast yet could still
 * write an old value to the shared cache, so the writer invalidates a second time a second later.
 */
export class CatalogCache {
  private readonly local: MemoryCache;
  /** key -> time (performance.now()) of the last invalidation this replica saw; insertion-ordered. */
  private readonly invalidatedAt = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly shared: Cache,
    private readonly bus: EventBus,
    private readonly localTtlSeconds: number,
    private readonly logger: Logger,
    /** Told of every shared-cache call that failed and was done without (for `cache_fallbacks_total`). */
    private readonly onFallback: (operation: 'read' | 'write' | 'invalidate') => void = () => {},
  ) {
    this.local = new MemoryCache({ maxEntries: 20_000 });
  }

  /** Drops the in-process copies whenever any replica announces a change. */
  listen(): Promise<Subscription> {
    return this.bus.onBroadcast('cache.key.invalidated', async (event) => {
      this.forgetLocally(event.data.keys);
    });
  }

  /**
   * Values for `keys`: from this replica's memory, then the shared cache, then `load` (given the
   * keys still missing; it answers a value or null for each). Null values are not cached.
   */
  async getMany<T>(keys: readonly string[], load: (missing: string[]) => Promise<Map<string, T | null>>): Promise<(T | null)[]> {
    const started = performance.now();
    const found = new Map<string, T | null>();
    const unique = [...new Set(keys)];

    if (this.localTtlSeconds > 0) {
      const hits = await this.local.mget(unique);
      hits.forEach((raw, i) => raw !== null && this.parseInto(found, unique[i], raw));
    }

    const notLocal = unique.filter((k) => !found.has(k));
    if (notLocal.length) {
      const hits = await this.shared.mget(notLocal).catch((err) => {
        this.onFallback('read');
        this.logger.warn({ err }, 'shared cache unavailable: reading the database');
        return notLocal.map(() => null);
      });
      for (const [i, raw] of hits.entries()) {
        if (raw !== null && this.parseInto(found, notLocal[i], raw)) await this.keepLocally(notLocal[i], raw, started);
      }
    }

    const missing = unique.filter((k) => !found.has(k));
    if (missing.length) {
      const loaded = await load(missing);
      for (const key of missing) {
        const value = loaded.get(key) ?? null;
        found.set(key, value);
        if (value === null || this.changedSince(key, started)) continue;
        const raw = JSON.stringify(value);
        await this.shared.set(key, raw, cacheTtl.staticData).catch((err) => {
          this.onFallback('write');
          this.logger.warn({ err, key }, 'could not fill the shared cache');
        });
        await this.keepLocally(key, raw, started);
      }
    }
    return keys.map((k) => found.get(k) ?? null);
  }

  async get<T>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    const [value] = await this.getMany<T>([key], async () => new Map([[key, await load()]]));
    return value;
  }

  /**
   * After a committed write: delete the shared keys, drop ours, tell every replica; once more a
   * second later (scheduled first, so it also retries a first attempt the shared cache refused).
   * Throws when the shared cache could not be reached (every replica was told all the same).
   */
  async invalidate(keys: readonly string[]): Promise<void> {
    const unique = [...new Set(keys)];
    if (!unique.length || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) this.invalidateNow(unique).catch((err) => this.logger.warn({ err, keys: unique }, 'second cache invalidation failed'));
    }, SECOND_INVALIDATION_MS);
    timer.unref();
    this.timers.add(timer);
    await this.invalidateNow(unique);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.local.close();
  }

  private async invalidateNow(keys: string[]): Promise<void> {
    this.forgetLocally(keys);
    try {
      await this.shared.del(...keys).catch((err) => {
        this.onFallback('invalidate');
        throw err;
      });
    } finally {
      // Even when the shared cache is down, the other replicas must drop their copies.
      await this.bus.broadcast('cache.key.invalidated', { keys }).catch((err) => this.logger.warn({ err, keys }, 'could not broadcast a cache invalidation'));
    }
  }

  private forgetLocally(keys: readonly string[]) {
    const now = performance.now();
    for (const key of keys) {
      this.invalidatedAt.delete(key); // re-insert: the map stays ordered by time
      this.invalidatedAt.set(key, now);
      void this.local.del(key);
    }
    for (const [key, at] of this.invalidatedAt) {
      if (now - at < INVALIDATION_MEMORY_MS) break;
      this.invalidatedAt.delete(key);
    }
  }

  private changedSince(key: string, started: number): boolean {
    const at = this.invalidatedAt.get(key);
    return at !== undefined && at >= started;
  }

  private async keepLocally(key: string, raw: string, started: number) {
    if (this.localTtlSeconds > 0 && !this.changedSince(key, started)) await this.local.set(key, raw, this.localTtlSeconds);
  }

  private parseInto<T>(found: Map<string, T | null>, key: string, raw: string): boolean {
    try {
      found.set(key, JSON.parse(raw) as T);
      return true;
    } catch {
      return false; // a corrupt entry is a miss
    }
  }
}

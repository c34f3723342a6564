import type { Subscription } from '@app/events';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Cache } from './cache.js';
import type { InvalidationChannel } from './invalidation-channel.js';
import { MemoryCache } from './memory-cache.js';

export { busInvalidation, type InvalidationChannel, type InvalidationCodec } from './invalidation-channel.js';

/** The shared-cache calls a TwoLevelCache does without when they fail (`cache_fallbacks_total{operation}`). */
export type CacheFallbackOperation = 'read' | 'write' | 'invalidate';

export interface CacheSerializer<T> {
  serialize(value: T): string;
  /** May throw: a value that cannot be read back is a miss. */
  deserialize(raw: string): T;
}

/** Given the ids still missing, their values (null or absent: none, and nothing is cached). */
export type CacheLoader<V> = (missing: string[]) => Promise<Map<string, V | null>>;

export interface TwoLevelCacheOptions<T> {
  /** Names the cache in `cache_fallbacks_total{cache}` and in logs (`profiles`, `catalog`). */
  name: string;
  /** The shared level: Redis in production, the process's MemoryCache in the embedded mode. */
  shared: Cache;
  /** Seconds an entry lives in the shared cache: the seed's TTL (`cacheTtl`). */
  sharedTtlSeconds: number;
  /** Seconds each replica keeps its own copy; 0 keeps none, so every read asks the shared cache. Default 30. */
  localTtlSeconds?: number;
  /** Most copies one replica keeps; beyond it the least recently used go. Default 10_000. */
  localMaxEntries?: number;
  /** How replicas tell each other what changed, e.g. `busInvalidation(bus, subject, codec)`. */
  invalidation: InvalidationChannel;
  /** The shared cache's key for an id (`cacheKeys.profile`). Default: the id is the key. */
  sharedKey?: (id: string) => string;
  /** Value <-> stored text, in both levels. Default JSON. */
  serializer?: CacheSerializer<T>;
  /** Counts shared-cache failures as `cache_fallbacks_total{cache: name, operation}`. Default: not counted. */
  metrics?: Pick<Metrics, 'cacheFallbacks'>;
  /** Where shared-cache failures are reported (warn). Default: not logged. */
  logger?: Logger;
  /**
   * The writer invalidates a second time this long after the first (up to 100 ms more: second
   * rounds due close together are made as one); 0 never does. Default 1_000. A replica that had
   * not heard the broadcast yet may still write an old value to the shared cache.
   */
  secondInvalidationMs?: number;
  /** How long a replica remembers an invalidation, to refuse loads that started before it. Default 60_000. */
  invalidationMemoryMs?: number;
}

const json: CacheSerializer<unknown> = { serialize: (value) => JSON.stringify(value), deserialize: (raw) => JSON.parse(raw) as unknown };

/** Second invalidations due within this long of each other are made together. */
const SECOND_ROUND_SLOT_MS = 100;

/**
 * Cache-aside reads in two levels: a short copy in each replica's memory, then the shared cache
 * (Redis), then the caller's loader (the database). Writers call `invalidate(ids)` after their
 * change commits: the shared keys are deleted and an invalidation is announced, so every replica
 * (this one included, once `listen()` runs) drops its own copy.
 *
 * A read that loaded before a write committed must not put that old value back: each replica
 * remembers when it last saw each id invalidated and caches nothing whose read started before
 * that. A replica that had not heard yet can still write an old value to the shared cache, so the
 * writer invalidates a second time a moment later. A shared cache that fails is done without (the
 * loader answers) and counted; the cache holds several kinds of value when `T` is their union, and
 * each call names the kind it reads.
 */
export class TwoLevelCache<T = unknown> {
  private readonly local: MemoryCache;
  private readonly localTtlSeconds: number;
  private readonly sharedKey: (id: string) => string;
  private readonly serializer: CacheSerializer<T>;
  private readonly secondInvalidationMs: number;
  private readonly invalidationMemoryMs: number;
  /** id -> time (performance.now()) of the last invalidation this replica saw; in time order. */
  private readonly invalidatedAt = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Second invalidations not yet made, by the time slot they are due in (epoch ms). */
  private readonly secondRounds = new Map<number, Set<string>>();
  private subscription?: Subscription;
  private closed = false;

  constructor(private readonly options: TwoLevelCacheOptions<T>) {
    this.localTtlSeconds = options.localTtlSeconds ?? 30;
    this.sharedKey = options.sharedKey ?? ((id) => id);
    this.serializer = options.serializer ?? (json as CacheSerializer<T>);
    this.secondInvalidationMs = options.secondInvalidationMs ?? 1_000;
    this.invalidationMemoryMs = options.invalidationMemoryMs ?? 60_000;
    // Every local entry is a copy, whatever its key looks like: all of them may be evicted.
    this.local = new MemoryCache({ maxEntries: options.localMaxEntries ?? 10_000, evictable: () => true });
  }

  /** Drops this replica's copies whenever any replica announces a change. Call once, at start. */
  async listen(): Promise<Subscription> {
    this.subscription = await this.options.invalidation.listen((ids) => this.forgetLocally(ids));
    return this.subscription;
  }

  /** Values for `ids`, in order: this replica's copy, else the shared cache, else `load` (once, with every id still missing). */
  async getMany<V extends T>(ids: readonly string[], load: CacheLoader<V>): Promise<(V | null)[]> {
    const started = performance.now();
    const found = new Map<string, V | null>();
    const unique = [...new Set(ids)];

    if (this.localTtlSeconds > 0) {
      const hits = await this.local.mget(unique);
      for (const [i, raw] of hits.entries()) if (raw !== null) this.parseInto(found, unique[i], raw);
    }
    const notLocal = unique.filter((id) => !found.has(id));
    if (notLocal.length) await this.readShared(notLocal, found, started);

    const missing = unique.filter((id) => !found.has(id));
    if (missing.length) {
      const loaded = await load(missing);
      for (const id of missing) {
        const value = loaded.get(id) ?? null;
        found.set(id, value);
        if (value !== null) await this.store(id, this.serializer.serialize(value), started);
      }
    }
    return ids.map((id) => found.get(id) ?? null);
  }

  async get<V extends T>(id: string, load: () => Promise<V | null>): Promise<V | null> {
    const [value] = await this.getMany<V>([id], async () => new Map([[id, await load()]]));
    return value;
  }

  /**
   * After a committed write: delete the shared keys, drop ours, tell every replica; once more
   * `secondInvalidationMs` later (scheduled first, so it also retries a first attempt the shared
   * cache refused). Rejects when the shared cache could not be reached (every replica was told all
   * the same); a failed announcement is only logged.
   */
  async invalidate(ids: readonly string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (!unique.length || this.closed) return;
    if (this.secondInvalidationMs > 0) this.invalidateAgainLater(unique);
    await this.invalidateNow(unique);
  }

  /**
   * Schedules the second invalidation of `ids` between `secondInvalidationMs` and that plus
   * SECOND_ROUND_SLOT_MS from now, with every id whose second round falls in the same slot: one
   * shared-cache delete and one announcement for all of them (a busy writer, such as the saga's
   * reservations, would otherwise send one of each per write, a second later).
   */
  private invalidateAgainLater(ids: readonly string[]): void {
    const slot = Math.ceil((Date.now() + this.secondInvalidationMs) / SECOND_ROUND_SLOT_MS) * SECOND_ROUND_SLOT_MS;
    let due = this.secondRounds.get(slot);
    if (!due) {
      const batch = new Set<string>();
      due = batch;
      this.secondRounds.set(slot, batch);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.secondRounds.delete(slot);
        if (!this.closed)
          this.invalidateNow([...batch]).catch((err) =>
            this.options.logger?.warn({ err, cache: this.options.name, ids: [...batch] }, 'second cache invalidation failed'),
          );
      }, slot - Date.now());
      timer.unref();
      this.timers.add(timer);
    }
    for (const id of ids) due.add(id);
  }

  /** Stops listening and forgets every copy. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.secondRounds.clear();
    await this.subscription?.unsubscribe();
    await this.local.close();
  }

  private async readShared<V extends T>(ids: string[], found: Map<string, V | null>, started: number): Promise<void> {
    const hits = await this.options.shared.mget(ids.map(this.sharedKey)).catch((err) => {
      this.fellBack('read', err, ids, 'shared cache unavailable: loading instead');
      return ids.map(() => null);
    });
    for (const [i, raw] of hits.entries()) {
      if (raw !== null && this.parseInto(found, ids[i], raw)) await this.keepLocally(ids[i], raw, started);
    }
  }

  /** Fills both levels, unless the id was invalidated after this read started (the value may be old). */
  private async store(id: string, raw: string, started: number): Promise<void> {
    if (this.changedSince(id, started)) return;
    await this.options.shared
      .set(this.sharedKey(id), raw, this.options.sharedTtlSeconds)
      .catch((err) => this.fellBack('write', err, [id], 'could not fill the shared cache'));
    await this.keepLocally(id, raw, started);
  }

  private async invalidateNow(ids: string[]): Promise<void> {
    this.forgetLocally(ids);
    try {
      await this.options.shared.del(...ids.map(this.sharedKey)).catch((err) => {
        this.fellBack('invalidate', err, ids, 'could not delete shared cache entries');
        throw err;
      });
    } finally {
      // Even when the shared cache is down, the other replicas must drop their copies.
      await this.options.invalidation
        .announce(ids)
        .catch((err) => this.options.logger?.warn({ err, cache: this.options.name, ids }, 'could not announce a cache invalidation'));
    }
  }

  private forgetLocally(ids: readonly string[]): void {
    const now = performance.now();
    for (const id of ids) {
      this.invalidatedAt.delete(id); // re-insert: the map stays in time order
      this.invalidatedAt.set(id, now);
      void this.local.del(id);
    }
    for (const [id, at] of this.invalidatedAt) {
      if (now - at < this.invalidationMemoryMs) break;
      this.invalidatedAt.delete(id);
    }
  }

  private changedSince(id: string, started: number): boolean {
    const at = this.invalidatedAt.get(id);
    return at !== undefined && at >= started;
  }

  private async keepLocally(id: string, raw: string, started: number): Promise<void> {
    if (this.localTtlSeconds > 0 && !this.changedSince(id, started)) await this.local.set(id, raw, this.localTtlSeconds);
  }

  private parseInto<V extends T>(found: Map<string, V | null>, id: string, raw: string): boolean {
    try {
      found.set(id, this.serializer.deserialize(raw) as V);
      return true;
    } catch {
      return false; // a corrupt entry is a miss
    }
  }

  private fellBack(operation: CacheFallbackOperation, err: unknown, ids: readonly string[], message: string): void {
    this.options.metrics?.cacheFallbacks.inc({ cache: this.options.name, operation });
    this.options.logger?.warn({ err, cache: this.options.name, ids }, message);
  }
}

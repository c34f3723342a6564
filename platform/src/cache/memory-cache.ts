import type { Cache, CacheEntry, CounterIncrement } from './cache.js';
import { isCacheOnlyKey } from './cache-keys.js';

interface Entry {
  value: string;
  expiresAt: number; // ms epoch; Infinity = no TTL
}

export interface MemoryCacheOptions {
  /** Evictable keys beyond this many are dropped, least recently used first. Default 100_000. */
  maxEntries?: number;
  /** How often expired keys are swept. Default 30_000 ms. */
  sweepIntervalMs?: number;
  /**
   * Which keys may be evicted. Default `isCacheOnlyKey` (profiles, catalog, APQ, JWKS). Every
   * other key is state (blacklist, revocations, sessions, counters): it is kept until it expires
   * or is deleted, however many copies are written, so a flood of cache entries can never bring
   * a logged-out token back.
   */
  evictable?: (key: string) => boolean;
}

/** In-process cache for the embedded mode: one instance is shared by every service in the process. */
export class MemoryCache implements Cache {
  /** Evictable copies; Map order is recency of use (least recent first). */
  private readonly copies = new Map<string, Entry>();
  /** State: never evicted, swept when expired. */
  private readonly state = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly evictable: (key: string) => boolean;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.evictable = options.evictable ?? isCacheOnlyKey;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.sweeper.unref();
  }

  private mapOf(key: string): Map<string, Entry> {
    return this.evictable(key) ? this.copies : this.state;
  }

  private live(key: string): Entry | undefined {
    const map = this.mapOf(key);
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      map.delete(key);
      return undefined;
    }
    if (map === this.copies) {
      // Re-insert: a copy that is read stays, the ones nobody reads go first.
      map.delete(key);
      map.set(key, entry);
    }
    return entry;
  }

  private put(key: string, value: string, ttlSeconds?: number): void {
    const map = this.mapOf(key);
    map.delete(key);
    map.set(key, { value, expiresAt: ttlSeconds === undefined ? Infinity : Date.now() + ttlSeconds * 1000 });
    if (map === this.copies && map.size > this.maxEntries) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const map of [this.copies, this.state]) for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
  }

  async get(key: string) {
    return this.live(key)?.value ?? null;
  }
  async mget(keys: string[]) {
    return keys.map((k) => this.live(k)?.value ?? null);
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    this.put(key, value, ttlSeconds);
  }
  async setIfAbsent(key: string, value: string, ttlSeconds: number) {
    if (this.live(key)) return false;
    this.put(key, value, ttlSeconds);
    return true;
  }
  async del(...keys: string[]) {
    let removed = 0;
    for (const key of keys) if (this.live(key) && this.mapOf(key).delete(key)) removed++;
    return removed;
  }
  async incr(key: string, ttlSeconds: number) {
    return this.incrBy(key, 1, ttlSeconds);
  }
  async incrBy(key: string, amount: number, ttlSeconds: number) {
    const entry = this.live(key);
    if (!entry) {
      this.put(key, String(amount), ttlSeconds);
      return amount;
    }
    const next = Number(entry.value) + amount;
    entry.value = String(next);
    return next;
  }
  async incrByMany(entries: readonly CounterIncrement[]) {
    const totals: number[] = [];
    for (const { key, amount, ttlSeconds } of entries) totals.push(await this.incrBy(key, amount, ttlSeconds));
    return totals;
  }
  async ttl(key: string) {
    const entry = this.live(key);
    if (!entry) return -2;
    if (entry.expiresAt === Infinity) return -1;
    return Math.ceil((entry.expiresAt - Date.now()) / 1000);
  }
  async scanPrefix(prefix: string) {
    const now = Date.now();
    const entries: CacheEntry[] = [];
    for (const map of [this.copies, this.state]) {
      for (const [key, entry] of map) {
        if (!key.startsWith(prefix) || entry.expiresAt <= now) continue;
        entries.push({ key, value: entry.value, ttlMs: entry.expiresAt === Infinity ? null : entry.expiresAt - now });
      }
    }
    return entries;
  }
  reachable() {
    return true;
  }
  async health() {
    return { ok: true };
  }
  async close() {
    clearInterval(this.sweeper);
    this.copies.clear();
    this.state.clear();
  }
}

/**
 * A key-value cache with TTLs. Redis in production (shared by replicas), in-memory in the
 * embedded single-process mode. Both pass the same contract suite (platform/test/cache.contract.ts).
 *
 * It holds two kinds of keys (cache-keys.ts, `isCacheOnlyKey`): copies that may be lost (profiles,
 * catalog, APQ, JWKS) and state that must not be (revocations, sessions, counters). Only copies
 * are ever evicted, and a write of a copy that fails (Redis full) is skipped, not an error.
 */
/** One stored entry, as `Cache.scanPrefix` lists it. */
export interface CacheEntry {
  key: string;
  value: string;
  /** Milliseconds it has left; null when it has no TTL. */
  ttlMs: number | null;
}

/** One counter's increment in `Cache.incrByMany`. */
export interface CounterIncrement {
  key: string;
  amount: number;
  ttlSeconds: number;
}

export interface Cache {
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  /** `ttlSeconds` omitted: kept until deleted. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Sets only when absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  del(...keys: string[]): Promise<number>;
  /** Atomically adds 1; the TTL is set when the key is created and not extended after. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  /** `incr` by `amount` (a positive integer). */
  incrBy(key: string, amount: number, ttlSeconds: number): Promise<number>;
  /**
   * `incrBy` for each entry, in one round trip (Redis: one script); the totals in the entries'
   * order. A refusal (the cache full, or out of reach) rejects, and no entry was added. For
   * counters only `incr`/`incrBy` write: a key holding text fails the call in Redis after the
   * entries before it were added.
   */
  incrByMany(entries: readonly CounterIncrement[]): Promise<number[]>;
  /** Remaining life in seconds; -1 when the key has no TTL, -2 when it does not exist. */
  ttl(key: string): Promise<number>;
  /**
   * Every entry whose key starts with `prefix`, with the life it has left. Redis walks the whole
   * keyspace in SCAN steps (never blocking the server); an entry written or deleted meanwhile may
   * or may not be listed. For state a process mirrors in memory and reloads now and then (the
   * revocation list), never per request.
   */
  scanPrefix(prefix: string): Promise<CacheEntry[]>;
  /**
   * False when the cache is known to be out of reach right now (Redis: its connection is down and
   * being re-established), found without asking it; true while it may answer. What a holder of a
   * copy of cache state (the revocation list) checks before answering from that copy.
   */
  reachable(): boolean;
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

export async function getJSON<T>(cache: Cache, key: string): Promise<T | null> {
  const raw = await cache.get(key);
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    // A corrupt entry is a miss, not an outage.
    await cache.del(key);
    return null;
  }
}

export function setJSON(cache: Cache, key: string, value: unknown, ttlSeconds?: number): Promise<void> {
  return cache.set(key, JSON.stringify(value), ttlSeconds);
}

import { Redis, ReplyError } from 'ioredis';
import { ServiceUnavailableError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Cache, CacheEntry, CounterIncrement } from './cache.js';
import { isCacheOnlyKey } from './cache-keys.js';

export interface RedisCacheOptions {
  /** Where skipped cache writes are reported (at most once per SKIPPED_WRITE_LOG_MS). */
  logger?: Logger;
  /**
   * Longest wait for one command's answer (REDIS_COMMAND_TIMEOUT_MS). Default 1000 ms. Past it
   * the command fails ("Command timed out") and the caller falls back (a cache read) or answers
   * 503 (security state): a Redis that stopped answering without closing its connection
   * (frozen, partitioned) must not hold requests for the TCP timeout.
   */
  commandTimeoutMs?: number;
}

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1_000;

const SKIPPED_WRITE_LOG_MS = 10_000;
/** Keys per SCAN step (and per GET/PTTL pipeline): a step stays well under a millisecond of Redis time. */
const SCAN_COUNT = 1_000;

/**
 * `incrByMany` as one script (ioredis sends it by its SHA once Redis has it): one command where a
 * MULTI of an INCRBY and a PEXPIRE per counter was 2n+2, each a command object and a promise in
 * this process (the gateway's rate limiter syncs every client it saw, every 100 ms). `#!lua`
 * without flags: Redis treats it as a write and refuses the whole script when it is full (OOM), as
 * it refused the MULTI, so a refusal adds nothing.
 */
const INCR_BY_MANY = `#!lua
local totals = {}
for i, key in ipairs(KEYS) do
  totals[i] = redis.call('INCRBY', key, ARGV[2 * i - 1])
  redis.call('PEXPIRE', key, ARGV[2 * i], 'NX')
end
return totals`;

interface CounterCommands {
  /** ioredis flattens the array into the command's arguments (no spread: a sync may name thousands of clients). */
  incrByMany(keyCount: number, keysThenAmountsAndTtlsMs: (string | number)[]): Promise<number[]>;
}

/** `prefix` as a SCAN MATCH pattern that matches it literally. */
const globPrefix = (prefix: string) => `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;

/**
 * What a failed Redis call becomes. Redis full (`OOM command not allowed`), and every failure to
 * get an answer at all (refused, dropped, timed out, retries used up), is a dependency unable to
 * serve: SERVICE_UNAVAILABLE (503 with retryAfter), never INTERNAL_ERROR. Any other error reply
 * (WRONGTYPE, a syntax error) is a bug and stays as it is.
 */
function refusal(err: unknown): unknown {
  if (err instanceof ServiceUnavailableError) return err;
  if (err instanceof Error && /^OOM\b/.test(err.message))
    return new ServiceUnavailableError('The shared cache is full; try again later', { cause: err });
  if (err instanceof ReplyError) return err;
  return new ServiceUnavailableError('The shared cache is unavailable; try again later', { cause: err });
}

/**
 * Redis-backed cache: what replicas share (sessions, blacklist, JWKS, profiles, rate limits).
 *
 * Redis runs with `maxmemory-policy noeviction` (docker-compose.yml): any eviction policy could
 * drop a revocation marker and bring a logged-out token back. When Redis is full it refuses
 * writes and still answers reads, so revocation checks keep working; a write of a cache-only key
 * (`isCacheOnlyKey`) is then skipped, since a missing copy only costs a reload, while a write of
 * state (a blacklist entry, a session, a counter) fails loudly to its caller.
 */
export class RedisCache implements Cache {
  private closed = false;
  private lastSkipReport = 0;
  private skippedSinceReport = 0;

  constructor(
    readonly redis: Redis,
    private readonly options: RedisCacheOptions = {},
  ) {
    if (!(redis as unknown as Partial<CounterCommands>).incrByMany) redis.defineCommand('incrByMany', { lua: INCR_BY_MANY });
  }

  static connect(url: string, options: RedisCacheOptions = {}): RedisCache {
    const redis = new Redis(url, {
      lazyConnect: false,
      // Fail fast while Redis is down instead of queueing requests forever: no retry of a
      // command on another connection (the caller decides), and a time limit on each.
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
      // Commands issued while (re)connecting wait in the offline queue, within commandTimeout.
      enableOfflineQueue: true,
      connectTimeout: 2_000,
      // Reconnect on its own, forever, at most every 2 s: the platform recovers without a restart.
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
      // A half-open TCP connection (Redis host gone) is noticed by keepalive probes.
      keepAlive: 10_000,
    });
    // ioredis reconnects by itself; without a listener an outage would crash the process.
    redis.on('error', () => {});
    return new RedisCache(redis, options);
  }

  /** Runs a write; for a cache-only key a failure is reported and swallowed (`fallback` is returned). */
  private async write<T>(key: string, fallback: T, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (!isCacheOnlyKey(key)) throw refusal(err);
      this.skippedSinceReport++;
      const now = Date.now();
      if (now - this.lastSkipReport >= SKIPPED_WRITE_LOG_MS) {
        this.options.logger?.warn(
          { err: (err as Error).message, key, skipped: this.skippedSinceReport },
          'cache write skipped (Redis refused it)',
        );
        this.lastSkipReport = now;
        this.skippedSinceReport = 0;
      }
      return fallback;
    }
  }

  /** Every call goes through here: its failure becomes `refusal(err)`. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw refusal(err);
    }
  }

  get(key: string) {
    return this.call(() => this.redis.get(key));
  }
  async mget(keys: string[]) {
    return keys.length ? this.call(() => this.redis.mget(...keys)) : [];
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    await this.write(key, undefined, async () => {
      if (ttlSeconds === undefined) await this.redis.set(key, value);
      else await this.redis.set(key, value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000)));
    });
  }
  async setIfAbsent(key: string, value: string, ttlSeconds: number) {
    return this.write(
      key,
      false,
      async () => (await this.redis.set(key, value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000)), 'NX')) === 'OK',
    );
  }
  async del(...keys: string[]) {
    return keys.length ? this.call(() => this.redis.del(...keys)) : 0;
  }
  incr(key: string, ttlSeconds: number) {
    return this.incrBy(key, 1, ttlSeconds);
  }
  async incrBy(key: string, amount: number, ttlSeconds: number) {
    const [total] = await this.incrByMany([{ key, amount, ttlSeconds }]);
    return total!;
  }
  async incrByMany(entries: readonly CounterIncrement[]) {
    if (!entries.length) return [];
    const keysThenArgs: (string | number)[] = entries.map((e) => e.key);
    for (const { amount, ttlSeconds } of entries) keysThenArgs.push(amount, Math.max(1, Math.round(ttlSeconds * 1000)));
    const totals = await this.call(() => (this.redis as unknown as CounterCommands).incrByMany(entries.length, keysThenArgs));
    return totals.map(Number);
  }
  ttl(key: string) {
    return this.call(() => this.redis.ttl(key));
  }
  scanPrefix(prefix: string) {
    return this.call(async () => {
      const found = new Map<string, CacheEntry>();
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', globPrefix(prefix), 'COUNT', SCAN_COUNT);
        cursor = next;
        if (keys.length) for (const entry of await this.readEntries(keys)) found.set(entry.key, entry); // SCAN may repeat a key
      } while (cursor !== '0');
      return [...found.values()];
    });
  }
  /** Value and remaining life of each key, in one pipeline; a key gone meanwhile is left out. */
  private async readEntries(keys: string[]): Promise<CacheEntry[]> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.get(key).pttl(key);
    const results = (await pipeline.exec()) ?? [];
    const entries: CacheEntry[] = [];
    keys.forEach((key, i) => {
      const [valueErr, value] = results[2 * i] ?? [new Error('missing pipeline result'), null];
      const [ttlErr, pttl] = results[2 * i + 1] ?? [new Error('missing pipeline result'), null];
      if (valueErr || ttlErr) throw valueErr ?? ttlErr;
      if (typeof value !== 'string' || pttl === -2) return; // expired or deleted between the SCAN and now
      entries.push({ key, value, ttlMs: typeof pttl === 'number' && pttl >= 0 ? pttl : null });
    });
    return entries;
  }
  /** ioredis says `ready` only while connected; it is `reconnecting` (or `close`/`end`) from the moment the socket drops. */
  reachable() {
    return !this.closed && this.redis.status === 'ready';
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

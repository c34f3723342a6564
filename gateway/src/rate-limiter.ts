import { type Cache, cacheKeys, type Logger, withTimeout } from '@app/platform/core';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  reset: number;
  retryAfter: number;
}

export interface RateLimiterOptions {
  logger?: Logger;
  /** Told each time a sync with the shared counters failed and this replica counted alone (`cache_fallbacks_total`). */
  onFallback?: () => void;
  /** How often this replica adds what it counted to the shared counters and learns theirs. Default RATE_LIMIT_SYNC_MS. */
  syncMs?: number;
}

/** How long the limiter waits for the shared cache before counting in memory. */
export const RATE_LIMIT_TIMEOUT_MS = 1_000;
/** Default interval between syncs with the shared counters (the bound below). */
export const RATE_LIMIT_SYNC_MS = 100;
const FALLBACK_LOG_MS = 10_000;

/**
 * One client's count in one window: what every replica had counted at the last sync, what this
 * one is sending now, and what it counted since.
 */
interface Bucket {
  key: string;
  windowStart: number;
  shared: number;
  sending: number;
  pending: number;
}

/**
 * Fixed-window counters shared through the cache by every gateway replica: per user when signed
 * in, per client address otherwise (a request whose token failed counts against its address).
 *
 * A request is decided in memory, without a round trip: allowed while the shared count learnt
 * at the last sync plus what this replica counted since stays within the limit. Every `syncMs`
 * (100 ms) a replica that counted something adds it to the shared counters (one round trip: an
 * INCRBY per client it saw, in one script) and learns their totals. The bound: a replica's view of the others is at most one sync
 * interval plus a round trip old, so a client gets past its limit by at most the requests it made
 * in that interval to replicas that had not yet heard of the rest (on a single replica that has
 * run for a sync interval: none; the count is exact).
 *
 * The limit never lapses. When the shared counters cannot be reached (Redis down, full, or
 * slower than RATE_LIMIT_TIMEOUT_MS) the replica keeps counting alone against the same limit:
 * a client spread over N replicas then gets at most N times its limit per window. Refusing every
 * request instead would turn a cache outage into a full API outage, public reads included;
 * what does need Redis (revocation, sessions, the login lockout, quotas) still answers 503.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private lastFallbackLog = 0;
  private closed = false;
  private readonly syncMs: number;

  constructor(
    private readonly cache: Cache,
    private readonly windowSeconds: number,
    private readonly limits: { user: number; anonymous: number },
    private readonly options: RateLimiterOptions = {},
  ) {
    this.syncMs = options.syncMs ?? RATE_LIMIT_SYNC_MS;
  }

  /** Counts `cost` requests (a batch of N operations costs N) and decides on the last of them. */
  async check(subject: { userId?: string; ip: string }, cost = 1): Promise<RateLimitDecision> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const windowStart = nowSeconds - (nowSeconds % this.windowSeconds);
    const reset = windowStart + this.windowSeconds;
    const limit = subject.userId ? this.limits.user : this.limits.anonymous;
    const name = subject.userId ? `user:${subject.userId}` : `ip:${subject.ip}`;
    let bucket = this.buckets.get(name);
    // A new window starts from its own shared count (the last moments of the old one may go
    // unshared: they no longer decide anything).
    if (!bucket || bucket.windowStart !== windowStart) {
      bucket = { key: cacheKeys.rateLimit(name, windowStart), windowStart, shared: 0, sending: 0, pending: 0 };
      this.buckets.set(name, bucket);
    }
    bucket.pending += Math.max(1, cost);
    this.scheduleSync();
    const count = bucket.shared + bucket.sending + bucket.pending;
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), reset, retryAfter: Math.max(1, reset - nowSeconds) };
  }

  /** Adds what was counted since the last sync to the shared counters now (tests, shutdown). */
  flush(): Promise<void> {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.syncing ??= this.sync().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    // What was counted still reaches the other replicas.
    await (this.syncing ?? this.sync()).catch(() => {});
  }

  private scheduleSync() {
    if (this.syncTimer || this.closed) return;
    this.syncTimer = setTimeout(() => void this.flush(), this.syncMs);
    this.syncTimer.unref();
  }

  /** Sends every bucket's pending count in one round trip (one script), and learns the totals. */
  private async sync(): Promise<void> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const sending: { bucket: Bucket; amount: number }[] = [];
    for (const [name, bucket] of this.buckets) {
      // A past window's count no longer decides anything: drop it (after sending what it holds).
      if (bucket.windowStart + this.windowSeconds <= nowSeconds && bucket.pending === 0 && bucket.sending === 0) {
        this.buckets.delete(name);
        continue;
      }
      if (bucket.pending === 0) continue;
      const amount = bucket.pending;
      bucket.pending = 0;
      bucket.sending += amount;
      sending.push({ bucket, amount });
    }
    if (!sending.length) return;
    try {
      const totals = await withTimeout(
        this.cache.incrByMany(sending.map(({ bucket, amount }) => ({ key: bucket.key, amount, ttlSeconds: this.windowSeconds + 1 }))),
        RATE_LIMIT_TIMEOUT_MS,
        () => new Error(`no answer within ${RATE_LIMIT_TIMEOUT_MS} ms`),
      );
      // Each shared total includes its `amount`; what this replica counted since stays pending.
      for (const [i, { bucket, amount }] of sending.entries()) {
        bucket.sending -= amount;
        bucket.shared = Math.max(bucket.shared, totals[i]!);
      }
    } catch (err) {
      // Not shared: this replica keeps its counts, and tries again at the next sync.
      for (const { bucket, amount } of sending) {
        bucket.sending -= amount;
        bucket.pending += amount;
      }
      this.reportFallback(err);
      this.scheduleSync();
    }
  }

  private reportFallback(err: unknown) {
    this.options.onFallback?.();
    const now = Date.now();
    if (now - this.lastFallbackLog < FALLBACK_LOG_MS) return;
    this.lastFallbackLog = now;
    this.options.logger?.warn(
      { err: (err as Error).message },
      'shared rate-limit counters unavailable: counting in this replica until they answer',
    );
  }
}

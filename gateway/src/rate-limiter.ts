import { type Cache, cacheKeys, type Logger, MemoryCache, withTimeout } from '@app/platform';

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
  /** Told each time a count had to be made in this replica's memory (for `cache_fallbacks_total`). */
  onFallback?: () => void;
}

/** How long the limiter waits for the shared cache before counting in memory. */
export const RATE_LIMIT_TIMEOUT_MS = 1_000;
const FALLBACK_LOG_MS = 10_000;

/**
 * Fixed-window counters in the shared cache, so every gateway replica counts the same requests:
 * per user when signed in, per client address otherwise (a request whose token failed counts
 * against its address).
 *
 * The limit never lapses. When the shared count cannot be made (Redis down, full, or slower
 * than RATE_LIMIT_TIMEOUT_MS), the request is counted in this replica's memory against the same
 * limit instead: nothing goes uncounted, and the bound during an outage is stated (a client
 * spread over N gateway replicas gets at most N times its limit per window). Refusing every
 * request instead would turn a cache outage into a full API outage, public reads included;
 * what does need Redis (revocation, sessions, the login lockout, quotas) still answers 503.
 */
export class RateLimiter {
  private readonly local = new MemoryCache({ evictable: () => false });
  private lastFallbackLog = 0;

  constructor(
    private readonly cache: Cache,
    private readonly windowSeconds: number,
    private readonly limits: { user: number; anonymous: number },
    private readonly options: RateLimiterOptions = {},
  ) {}

  /** Counts `cost` requests (a batch of N operations costs N) and decides on the last of them. */
  async check(subject: { userId?: string; ip: string }, cost = 1): Promise<RateLimitDecision> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const windowStart = nowSeconds - (nowSeconds % this.windowSeconds);
    const reset = windowStart + this.windowSeconds;
    const limit = subject.userId ? this.limits.user : this.limits.anonymous;
    const bucket = subject.userId ? `user:${subject.userId}` : `ip:${subject.ip}`;
    const key = cacheKeys.rateLimit(bucket, windowStart);
    const amount = Math.max(1, cost);
    let count: number;
    try {
      // incrBy: one command however many operations the batch holds.
      count = await withTimeout(
        this.cache.incrBy(key, amount, this.windowSeconds + 1),
        RATE_LIMIT_TIMEOUT_MS,
        () => new Error(`no answer within ${RATE_LIMIT_TIMEOUT_MS} ms`),
      );
    } catch (err) {
      this.reportFallback(err);
      count = await this.local.incrBy(key, amount, this.windowSeconds + 1);
    }
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), reset, retryAfter: Math.max(1, reset - nowSeconds) };
  }

  async close(): Promise<void> {
    await this.local.close();
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

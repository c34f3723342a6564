import { cacheKeys, withTimeout, type Cache, type Logger } from '@app/platform';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  reset: number;
  retryAfter: number;
}

/**
 * Fixed-window counters in the shared cache, so every gateway replica counts the same requests:
 * per user when signed in, per client address otherwise (a request whose token failed counts
 * against its address). If the cache is down the request is let through (an outage of Redis must
 * not take the API down with it).
 */
export class RateLimiter {
  constructor(
    private readonly cache: Cache,
    private readonly windowSeconds: number,
    private readonly limits: { user: number; anonymous: number },
    private readonly logger?: Logger,
  ) {}

  /** Counts `cost` requests (a batch of N operations costs N) and decides on the last of them. */
  async check(subject: { userId?: string; ip: string }, cost = 1): Promise<RateLimitDecision> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const windowStart = nowSeconds - (nowSeconds % this.windowSeconds);
    const reset = windowStart + this.windowSeconds;
    const limit = subject.userId ? this.limits.user : this.limits.anonymous;
    const bucket = subject.userId ? `user:${subject.userId}` : `ip:${subject.ip}`;
    const key = cacheKeys.rateLimit(bucket, windowStart);
    let count: number;
    try {
      // The Cache adds 1 at a time; cost is at most MAX_BATCH_SIZE, and the increments go out together.
      // incrBy: one command however many operations the batch holds. A time limit, because a
      // cache client reconnecting to a dead Redis queues commands for seconds.
      count = await withTimeout(this.cache.incrBy(key, Math.max(1, cost), this.windowSeconds + 1), RATE_LIMIT_TIMEOUT_MS, () => new Error(`no answer within ${RATE_LIMIT_TIMEOUT_MS} ms`));
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message }, 'rate limiter unavailable; allowing request');
      return { allowed: true, limit, remaining: limit, reset, retryAfter: 0 };
    }
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), reset, retryAfter: Math.max(1, reset - nowSeconds) };
  }
}

/** How long the limiter waits for the cache before treating it as unavailable. */
export const RATE_LIMIT_TIMEOUT_MS = 1_000;

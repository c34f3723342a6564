import { cacheKeys, type Cache, type Logger } from '@app/platform';

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
 * per user when signed in, per client address otherwise. If the cache is down the request is
 * let through (an outage of Redis must not take the API down with it).
 */
export class RateLimiter {
  constructor(
    private readonly cache: Cache,
    private readonly windowSeconds: number,
    private readonly limits: { user: number; anonymous: number },
    private readonly logger?: Logger,
  ) {}

  async check(subject: { userId?: string; ip: string }): Promise<RateLimitDecision> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const windowStart = nowSeconds - (nowSeconds % this.windowSeconds);
    const reset = windowStart + this.windowSeconds;
    const limit = subject.userId ? this.limits.user : this.limits.anonymous;
    const bucket = subject.userId ? `user:${subject.userId}` : `ip:${subject.ip}`;
    let count: number;
    try {
      count = await this.cache.incr(cacheKeys.rateLimit(bucket, windowStart), this.windowSeconds + 1);
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message }, 'rate limiter unavailable; allowing request');
      return { allowed: true, limit, remaining: limit, reset, retryAfter: 0 };
    }
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), reset, retryAfter: Math.max(1, reset - nowSeconds) };
  }
}

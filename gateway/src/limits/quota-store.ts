import { cacheKeys, ServiceUnavailableError } from '@app/platform/core';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

/** `points` calls per `durationSeconds`, per user. `name` is part of the counter's key: keep it stable. */
export interface QuotaPolicy {
  name: string;
  points: number;
  durationSeconds: number;
}

export interface QuotaDecision {
  policy: string;
  allowed: boolean;
  limit: number;
  remaining: number;
  /** epoch seconds */
  reset: number;
  /** seconds, >= 1 when refused (0 when allowed) */
  retryAfter: number;
}

/**
 * Per-user quotas counted in fixed windows aligned to the epoch (an hour policy resets on the
 * hour, a day policy at 00:00 UTC), so `reset` is the same on every replica.
 * Both implementations pass gateway/test/quota-store.contract.ts.
 */
export interface QuotaStore {
  /**
   * Takes `points` (default 1) from the user's current window. A refused call takes nothing.
   * Throws ServiceUnavailableError when the count cannot be read (fail closed).
   */
  consume(policy: QuotaPolicy, userId: string, points?: number): Promise<QuotaDecision>;
  /**
   * Gives back points an allowed `decision` took, for an operation that did not run after all.
   * Only ever credits the window that decision counted in: once that window has ended the
   * refund lands on a dead key, so it can never raise a later window's allowance.
   */
  refund(policy: QuotaPolicy, userId: string, decision: QuotaDecision, points?: number): Promise<void>;
}

/** The window `nowMs` falls in: its start (the key) and end (`reset`), in epoch seconds. */
function windowOf(policy: QuotaPolicy, nowMs: number) {
  const start = Math.floor(nowMs / 1000 / policy.durationSeconds) * policy.durationSeconds;
  return { start, reset: start + policy.durationSeconds };
}

/**
 * rate-limiter-flexible does the counting (an atomic INCRBY + TTL in Redis, a map in memory).
 * Its windows would start at a user's first call; the window's start in the key aligns them
 * instead, which is also what makes refunds safe (see `refund`).
 */
export abstract class LimiterQuotaStore implements QuotaStore {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  /** keyPrefix must be '' there: keys come whole from cacheKeys.quota. */
  protected abstract createLimiter(policy: QuotaPolicy): RateLimiterAbstract;

  private limiter(policy: QuotaPolicy): RateLimiterAbstract {
    const id = `${policy.name}/${policy.points}/${policy.durationSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) this.limiters.set(id, (limiter = this.createLimiter(policy)));
    return limiter;
  }

  async consume(policy: QuotaPolicy, userId: string, points = 1): Promise<QuotaDecision> {
    const now = Date.now();
    const { start, reset } = windowOf(policy, now);
    const key = cacheKeys.quota(policy.name, userId, start);
    // The key lives until its window ends (>= 1 s: the library's TTL is in whole seconds).
    const options = { customDuration: Math.max(1, reset - Math.floor(now / 1000)) };
    const limiter = this.limiter(policy);
    let res: RateLimiterRes;
    try {
      res = await limiter.consume(key, points, options);
    } catch (err) {
      // The library rejects with a RateLimiterRes when over the limit, with an Error when the store fails.
      if (!(err instanceof RateLimiterRes)) {
        // Fail closed: a quota is security state, so an unknown count must not become "allowed".
        // (No insuranceLimiter: an in-memory fallback per replica would multiply the limit.)
        throw new ServiceUnavailableError('Rate limit could not be checked; try again later', { cause: err });
      }
      // Give back what the refused call added so it costs nothing; if that fails too the
      // points stay taken, which errs on the strict side.
      await limiter.reward(key, points, options).catch(() => undefined);
      const remaining = Math.max(0, policy.points - (err.consumedPoints - points));
      return {
        policy: policy.name,
        allowed: false,
        limit: policy.points,
        remaining,
        reset,
        retryAfter: Math.max(1, reset - Math.floor(Date.now() / 1000)),
      };
    }
    return { policy: policy.name, allowed: true, limit: policy.points, remaining: res.remainingPoints, reset, retryAfter: 0 };
  }

  async refund(policy: QuotaPolicy, userId: string, decision: QuotaDecision, points = 1): Promise<void> {
    const start = decision.reset - policy.durationSeconds;
    const key = cacheKeys.quota(policy.name, userId, start);
    // Crediting an ended window only creates a negative counter under a key nobody counts on again.
    const customDuration = Math.max(1, decision.reset - Math.floor(Date.now() / 1000));
    try {
      await this.limiter(policy).reward(key, points, { customDuration });
    } catch (err) {
      throw new ServiceUnavailableError('Rate limit could not be checked; try again later', { cause: err });
    }
  }
}

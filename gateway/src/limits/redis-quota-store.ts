import type { RedisCache } from '@app/platform/core';
import { RateLimiterRedis, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { LimiterQuotaStore, type QuotaPolicy } from './quota-store.js';

export interface RedisQuotaStoreOptions {
  /** A count not known by then is a store failure (ServiceUnavailableError). Default 1000 ms. */
  timeoutMs?: number;
}

/**
 * Quotas in Redis, shared by every gateway replica, on the cache's ioredis client. That client
 * queues commands while it reconnects (seconds when Redis is down), so each call is bounded by
 * `timeoutMs`: an outage answers 503 in about that time instead of holding requests.
 */
export class RedisQuotaStore extends LimiterQuotaStore {
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: RedisCache['redis'],
    options: RedisQuotaStoreOptions = {},
  ) {
    super();
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  protected createLimiter(policy: QuotaPolicy) {
    const limiter = new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: '',
      points: policy.points,
      duration: policy.durationSeconds,
    });
    return new RLWrapperTimeouts({ limiter, timeoutMs: this.timeoutMs });
  }
}

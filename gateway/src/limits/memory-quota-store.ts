import { RateLimiterMemory } from 'rate-limiter-flexible';
import { LimiterQuotaStore, type QuotaPolicy } from './quota-store.js';

/** Quotas in this process only: the embedded single-process mode, where there is no Redis. */
export class MemoryQuotaStore extends LimiterQuotaStore {
  protected createLimiter(policy: QuotaPolicy) {
    return new RateLimiterMemory({ keyPrefix: '', points: policy.points, duration: policy.durationSeconds });
  }
}

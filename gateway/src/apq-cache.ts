import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { apqBudgetKey, type Cache, cacheKeys, type Logger } from '@app/platform/core';

export interface ApqLimits {
  /** A document longer than this (UTF-8 bytes) is run but never stored. */
  maxDocumentBytes: number;
  /** Bytes of new documents all replicas together may add to the shared cache per window. */
  budgetBytes: number;
  budgetWindowSeconds: number;
  /** Documents each replica keeps in its own memory (least recently used dropped first). */
  localEntries: number;
}

/**
 * 16 KiB is far above any operation a client ships (and below a 1 MB string literal, which is
 * one token); 1 MiB an hour at a 24 h TTL bounds APQ in Redis to about 24 MiB whatever is sent.
 */
export const DEFAULT_APQ_LIMITS: ApqLimits = {
  maxDocumentBytes: 16 * 1024,
  budgetBytes: 1024 * 1024,
  budgetWindowSeconds: 3600,
  localEntries: 1000,
};

/**
 * Automatic persisted queries stored in the shared cache, so a hash registered on one replica
 * works on all, within bounds: anyone may register a document, so without them APQ would let
 * anyone fill Redis. Apollo Server calls `set` only for a document that parsed, validated
 * (depth, aliases and the other rules included) and passed `didResolveOperation` (complexity,
 * quotas), with a hash it checked against the text; this class adds the size and volume bounds.
 *
 * A document refused here still runs; its hash just keeps answering PERSISTED_QUERY_NOT_FOUND
 * where it is not stored, and clients send the full query again, as the protocol expects. Once
 * the window's budget is spent, new documents stay in the registering replica's memory only.
 * Failures of the shared cache are misses, never errors: APQ is an optimisation.
 */
export class ApqCache implements KeyValueCache<string> {
  private readonly limits: ApqLimits;
  /** This replica's copies; Map order is recency of use. */
  private readonly local = new Map<string, string>();

  constructor(
    private readonly cache: Cache,
    limits: Partial<ApqLimits> = {},
    private readonly logger?: Logger,
  ) {
    this.limits = { ...DEFAULT_APQ_LIMITS, ...limits };
  }

  private remember(hash: string, document: string) {
    this.local.delete(hash);
    this.local.set(hash, document);
    if (this.local.size > this.limits.localEntries) this.local.delete(this.local.keys().next().value!);
  }

  async get(hash: string) {
    const local = this.local.get(hash);
    if (local !== undefined) {
      this.remember(hash, local);
      return local;
    }
    const shared = await this.cache.get(cacheKeys.apq(hash)).catch(() => null);
    if (shared === null || Buffer.byteLength(shared) > this.limits.maxDocumentBytes) return undefined;
    this.remember(hash, shared);
    return shared;
  }

  async set(hash: string, document: string, options?: { ttl?: number | null }) {
    const bytes = Buffer.byteLength(document);
    if (bytes > this.limits.maxDocumentBytes) return;
    this.remember(hash, document);
    const now = Math.floor(Date.now() / 1000);
    const windowStart = now - (now % this.limits.budgetWindowSeconds);
    try {
      const spent = await this.cache.incrBy(apqBudgetKey(windowStart), bytes, this.limits.budgetWindowSeconds + 1);
      if (spent > this.limits.budgetBytes) {
        if (spent - bytes <= this.limits.budgetBytes)
          this.logger?.warn(
            { budgetBytes: this.limits.budgetBytes },
            'APQ budget of this window spent: new documents are kept in this replica only',
          );
        return;
      }
      await this.cache.set(cacheKeys.apq(hash), document, options?.ttl ?? undefined);
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message }, 'APQ document not shared');
    }
  }

  async delete(hash: string) {
    this.local.delete(hash);
    await this.cache.del(cacheKeys.apq(hash)).catch(() => {});
  }
}

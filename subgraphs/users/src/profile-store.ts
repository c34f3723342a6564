import type { EventBus } from '@app/events';
import { cacheKeys, cacheTtl, MemoryCache, type Cache } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Profile } from './entities/index.js';

/** What the GraphQL layer reads for a user: the profile and the last login. */
export interface ProfileView {
  profile: { firstName: string | null; lastName: string | null; displayName: string | null; pictureUrl: string | null; locale: string };
  lastLoginAt: string | null;
}

/**
 * Cache-aside reads of `profile:{id}` (seed 001, 300 s in the shared cache) with a short-lived
 * copy in each replica's memory. Every write goes through `invalidate`: the shared key is
 * deleted and an invalidation is broadcast so every replica drops its own copy too.
 */
export class ProfileStore {
  private readonly local: MemoryCache;

  constructor(
    private readonly em: EntityManager,
    private readonly shared: Cache,
    private readonly bus: EventBus,
    private readonly defaultLocale: string,
    private readonly localTtlSeconds: number,
    /** Told of every shared-cache call that failed and was done without (for `cache_fallbacks_total`). */
    private readonly onFallback: (operation: 'read' | 'write') => void = () => {},
  ) {
    this.local = new MemoryCache({ maxEntries: 10_000 });
  }

  /** Drops the in-process copy when any replica announces a change. */
  listen() {
    return this.bus.onBroadcast('cache.profile.invalidated', async (event) => {
      await this.local.del(cacheKeys.profile(event.data.userId));
    });
  }

  async loadMany(userIds: readonly string[]): Promise<ProfileView[]> {
    const keys = userIds.map((id) => cacheKeys.profile(id));
    const found = new Map<string, ProfileView>();

    const localHits = this.localTtlSeconds > 0 ? await this.local.mget(keys) : keys.map(() => null);
    localHits.forEach((raw, i) => raw && found.set(userIds[i], JSON.parse(raw)));

    const missing = userIds.filter((id) => !found.has(id));
    if (missing.length) {
      const sharedHits = await this.shared.mget(missing.map((id) => cacheKeys.profile(id))).catch(() => {
        this.onFallback('read');
        return missing.map(() => null);
      });
      for (const [i, raw] of sharedHits.entries()) {
        if (!raw) continue;
        try {
          found.set(missing[i], JSON.parse(raw));
          await this.keepLocally(missing[i], raw);
        } catch {
          /* corrupt entry: read from the database below */
        }
      }
    }

    const fromDb = userIds.filter((id) => !found.has(id));
    if (fromDb.length) {
      const rows = await this.em.fork().find(Profile, { userId: { $in: [...new Set(fromDb)] } });
      const byId = new Map(rows.map((r) => [r.userId, r]));
      for (const id of fromDb) {
        const view = this.toView(byId.get(id));
        found.set(id, view);
        const raw = JSON.stringify(view);
        await this.shared.set(cacheKeys.profile(id), raw, cacheTtl.profile).catch(() => this.onFallback('write'));
        await this.keepLocally(id, raw);
      }
    }
    return userIds.map((id) => found.get(id)!);
  }

  /** After a write: delete the shared entry, drop ours, tell the other replicas to drop theirs. */
  async invalidate(userId: string): Promise<void> {
    const key = cacheKeys.profile(userId);
    await this.shared.del(key);
    await this.local.del(key);
    await this.bus.broadcast('cache.profile.invalidated', { userId });
  }

  async close() {
    await this.local.close();
  }

  private async keepLocally(userId: string, raw: string) {
    if (this.localTtlSeconds > 0) await this.local.set(cacheKeys.profile(userId), raw, this.localTtlSeconds);
  }

  private toView(row: Profile | undefined): ProfileView {
    return {
      profile: {
        firstName: row?.firstName ?? null,
        lastName: row?.lastName ?? null,
        displayName: row?.displayName ?? null,
        pictureUrl: row?.pictureUrl ?? null,
        locale: row?.locale ?? this.defaultLocale,
      },
      lastLoginAt: row?.lastLoginAt ? row.lastLoginAt.toISOString() : null,
    };
  }
}

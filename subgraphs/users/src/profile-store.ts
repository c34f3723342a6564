import { type EventBus, Subjects, type Subscription } from '@app/events';
import { busInvalidation, cacheKeys, cacheTtl, TwoLevelCache, type TwoLevelCacheOptions } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Profile } from './entities/index.js';

/** What the GraphQL layer reads for a user: the profile and the last login. */
export interface ProfileView {
  profile: { firstName: string | null; lastName: string | null; displayName: string | null; pictureUrl: string | null; locale: string };
  lastLoginAt: string | null;
}

/** The shared cache, this replica's copies and the fallback metrics; the rest is fixed by seed 001. */
export type ProfileCacheOptions = Pick<TwoLevelCacheOptions<ProfileView>, 'shared' | 'localTtlSeconds' | 'metrics' | 'logger'> & {
  bus: EventBus;
};

/**
 * Profiles by user id through a TwoLevelCache: `profile:{id}` (seed 001, 300 s in the shared
 * cache) and a short-lived copy in each replica's memory. Every write goes through `invalidate`:
 * the shared key is deleted and `cache.profile.invalidated` is broadcast so every replica drops
 * its own copy too.
 */
export class ProfileStore {
  private readonly cache: TwoLevelCache<ProfileView>;

  constructor(
    private readonly em: EntityManager,
    private readonly defaultLocale: string,
    { bus, ...options }: ProfileCacheOptions,
  ) {
    this.cache = new TwoLevelCache<ProfileView>({
      ...options,
      name: 'profiles',
      sharedTtlSeconds: cacheTtl.profile,
      sharedKey: cacheKeys.profile,
      invalidation: busInvalidation(bus, Subjects.CacheProfileInvalidated, {
        encode: (userIds) => userIds.map((userId) => ({ userId })),
        decode: (data) => [data.userId],
      }),
    });
  }

  /** Drops the in-process copy when any replica announces a change. */
  listen(): Promise<Subscription> {
    return this.cache.listen();
  }

  async loadMany(userIds: readonly string[]): Promise<ProfileView[]> {
    const views = await this.cache.getMany(userIds, async (missing) => {
      const rows = await this.em.fork().find(Profile, { userId: { $in: missing } });
      const byId = new Map(rows.map((r) => [r.userId, r]));
      // No row yet still reads as a profile (the defaults), and is cached like one.
      return new Map(missing.map((id) => [id, this.toView(byId.get(id))]));
    });
    return views.map((view) => view ?? this.toView(undefined));
  }

  /** After a write: delete the shared entry, drop ours, tell the other replicas to drop theirs. */
  invalidate(userId: string): Promise<void> {
    return this.cache.invalidate([userId]);
  }

  close(): Promise<void> {
    return this.cache.close();
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

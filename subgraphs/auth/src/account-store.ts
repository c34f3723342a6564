import { type EventBus, Subjects, type Subscription } from '@app/events';
import {
  busInvalidation,
  type CacheSerializer,
  cacheKeys,
  cacheTtl,
  serviceSchema,
  TwoLevelCache,
  type TwoLevelCacheOptions,
} from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { User } from './entities/index.js';

/** What the User type shows of an account. */
export type UserView = Pick<User, 'id' | 'username' | 'email' | 'lineUserId' | 'createdAt'>;

/** The shared cache, this replica's copies and the fallback metrics. */
export type AccountCacheOptions = Pick<TwoLevelCacheOptions<UserView>, 'shared' | 'localTtlSeconds' | 'metrics' | 'logger'> & {
  bus: EventBus;
};

/** JSON with `createdAt` read back as a Date. */
const serializer: CacheSerializer<UserView> = {
  serialize: (view) => JSON.stringify(view),
  deserialize(raw) {
    const view = JSON.parse(raw) as Omit<UserView, 'createdAt'> & { createdAt: string };
    return { ...view, createdAt: new Date(view.createdAt) };
  },
};

type AccountRow = { id: string; username: string; email: string | null; line_user_id: string | null; created_at: Date };

/**
 * What the User type shows of each account, by id, through a TwoLevelCache (`account:{id}` in
 * the shared cache, a short copy in each replica's memory): every request through the gateway
 * that names a user's `username` lands here, and a database round trip for each was most of
 * auth's work under such load. An account's view never changes once it exists (no mutation
 * renames an account or changes its email or LINE link); it only goes, when the account is
 * erased, which invalidates it on every replica (`cache.account.invalidated`). An id with no
 * account is not cached, so an account registered a moment later is seen at once.
 */
export class AccountStore {
  private readonly cache: TwoLevelCache<UserView>;

  constructor(
    private readonly em: EntityManager,
    { bus, ...options }: AccountCacheOptions,
  ) {
    this.cache = new TwoLevelCache<UserView>({
      ...options,
      name: 'accounts',
      sharedTtlSeconds: cacheTtl.account,
      sharedKey: cacheKeys.account,
      serializer,
      invalidation: busInvalidation(bus, Subjects.CacheAccountInvalidated, {
        encode: (userIds) => userIds.map((userId) => ({ userId })),
        decode: (data) => [data.userId],
      }),
    });
  }

  /** Drops this replica's copy when any replica announces an erasure. */
  listen(): Promise<Subscription> {
    return this.cache.listen();
  }

  /** The accounts with these ids (UUIDs), in the order asked, `null` where there is none. */
  async loadMany(ids: readonly string[]): Promise<(UserView | null)[]> {
    return this.cache.getMany(ids, async (missing) => {
      const rows = await this.read(missing);
      return new Map(rows.map((row) => [row.id, toView(row)]));
    });
  }

  /** After an erasure commits: the shared entry and every replica's copy go. */
  invalidate(userId: string): Promise<void> {
    return this.cache.invalidate([userId]);
  }

  close(): Promise<void> {
    return this.cache.close();
  }

  /** Plain rows, not entities: the ORM's query building and hydration cost more than the query. */
  private read(ids: readonly string[]): Promise<AccountRow[]> {
    const table = `${serviceSchema(this.em)}.users`;
    // The ids as a Postgres array literal: they are UUIDs (the resolvers check), nothing to escape.
    return this.em.execute<AccountRow[]>(`select id, username, email, line_user_id, created_at from ${table} where id = any(?::uuid[])`, [
      `{${ids.join(',')}}`,
    ]);
  }
}

const toView = (row: AccountRow): UserView => ({
  id: row.id,
  username: row.username,
  email: row.email,
  lineUserId: row.line_user_id,
  createdAt: row.created_at,
});

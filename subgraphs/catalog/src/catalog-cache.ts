import { type EventBus, Subjects } from '@app/events';
import { busInvalidation, cacheTtl, TwoLevelCache, type TwoLevelCacheOptions } from '@app/platform';

/**
 * The catalog's static data (`catalogCacheKeys`: products, categories, their lists) in two levels:
 * the shared cache for `cacheTtl.staticData` (one day) and a short copy in each replica's memory.
 * Ids are the cache keys themselves; each read names the kind of value its keys hold. Writers call
 * `invalidate(keys)` after their transaction commits, which broadcasts `cache.key.invalidated`.
 */
export type CatalogCache = TwoLevelCache;

export type CatalogCacheOptions = Pick<TwoLevelCacheOptions<unknown>, 'shared' | 'localTtlSeconds' | 'metrics' | 'logger'> & {
  bus: EventBus;
};

export function createCatalogCache({ bus, ...options }: CatalogCacheOptions): CatalogCache {
  return new TwoLevelCache({
    ...options,
    name: 'catalog',
    sharedTtlSeconds: cacheTtl.staticData,
    localMaxEntries: 20_000,
    invalidation: busInvalidation(bus, Subjects.CacheKeyInvalidated, {
      encode: (keys) => [{ keys: [...keys] }],
      decode: (data) => data.keys,
    }),
  });
}

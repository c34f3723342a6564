import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { cacheKeys, type Cache } from '@app/platform';

/** Automatic persisted queries stored in the shared cache, so a hash registered on one replica works on all. */
export class ApqCache implements KeyValueCache<string> {
  constructor(private readonly cache: Cache) {}
  async get(key: string) {
    return (await this.cache.get(cacheKeys.apq(key))) ?? undefined;
  }
  async set(key: string, value: string, options?: { ttl?: number | null }) {
    await this.cache.set(cacheKeys.apq(key), value, options?.ttl ?? undefined);
  }
  async delete(key: string) {
    await this.cache.del(cacheKeys.apq(key));
  }
}

// Caches: the Cache interface (Redis, memory), key names and TTLs, the two-level cache.

export * from './cache.js';
export * from './cache-keys.js';
export { MemoryCache, type MemoryCacheOptions } from './memory-cache.js';
export { RedisCache, type RedisCacheOptions } from './redis-cache.js';
export * from './two-level-cache.js';

import { MemoryCache } from '../src/cache/memory-cache.js';
import { RedisCache } from '../src/cache/redis-cache.js';
import { cacheContract } from './cache.contract.js';

cacheContract('memory', () => new MemoryCache());
cacheContract('redis', () => RedisCache.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));

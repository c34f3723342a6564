import { MemoryCache } from '../src/memory-cache.js';
import { RedisCache } from '../src/redis-cache.js';
import { cacheContract } from './cache.contract.js';

cacheContract('memory', () => new MemoryCache());
cacheContract('redis', () => RedisCache.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));

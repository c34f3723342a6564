import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../tests/support/ports.js';
import { MemoryCache } from '../src/cache/memory-cache.js';
import { RedisCache } from '../src/cache/redis-cache.js';
import { cacheContract } from './cache.contract.js';

cacheContract('memory', () => new MemoryCache());
cacheContract('redis', () => RedisCache.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));

describe('RedisCache.reachable', () => {
  it('is false while its connection is down, and after close, without waiting for a command', async () => {
    const down = RedisCache.connect(`redis://127.0.0.1:${await freePort()}`);
    try {
      await sleep(200);
      expect(down.reachable()).toBe(false);
    } finally {
      await down.close();
    }
    const up = RedisCache.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    await up.health();
    expect(up.reachable()).toBe(true);
    await up.close();
    expect(up.reachable()).toBe(false);
  });
});

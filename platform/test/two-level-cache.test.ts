import { randomBytes } from 'node:crypto';
import { type EventBus, MemoryEventBus, NatsEventBus } from '@app/events';
import type { Cache } from '../src/cache/cache.js';
import { MemoryCache } from '../src/cache/memory-cache.js';
import { RedisCache } from '../src/cache/redis-cache.js';
import { twoLevelCacheContract } from './two-level-cache.contract.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

type Buses = { buses: [EventBus, EventBus]; close(): Promise<void> };
type Shared = { shared: Cache; close(): Promise<void> };

/** The embedded mode: one in-process bus, which both replicas share. */
function memoryBus(): Buses {
  const bus = new MemoryEventBus();
  return { buses: [bus, bus], close: () => bus.close() };
}

/** Real NATS, one connection per replica, in a namespace of this run's own. */
async function natsBuses(): Promise<Buses> {
  const namespace = `tlc${randomBytes(5).toString('hex')}`;
  const a = await NatsEventBus.connect({ url: natsUrl, namespace });
  const b = await NatsEventBus.connect({ url: natsUrl, namespace });
  return {
    buses: [a, b],
    close: async () => {
      await b.close();
      await a.deleteNamespaceStreams();
      await a.close();
    },
  };
}

function memoryCache(): Shared {
  const shared = new MemoryCache();
  return { shared, close: () => shared.close() };
}

/** Real Redis; the suite's keys carry a namespace of their own and expire. */
function redisCache(): Shared {
  const shared = RedisCache.connect(redisUrl);
  return { shared, close: () => shared.close() };
}

function combine(cache: () => Shared, bus: () => Buses | Promise<Buses>) {
  return async () => {
    const [c, b] = [cache(), await bus()];
    return {
      shared: c.shared,
      buses: b.buses,
      close: async () => {
        await b.close();
        await c.close();
      },
    };
  };
}

twoLevelCacheContract('memory cache, memory bus', combine(memoryCache, memoryBus));
twoLevelCacheContract('redis, nats', combine(redisCache, natsBuses));
twoLevelCacheContract('redis, memory bus', combine(redisCache, memoryBus));
twoLevelCacheContract('memory cache, nats', combine(memoryCache, natsBuses));

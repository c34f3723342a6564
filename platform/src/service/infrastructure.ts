import { type EventBus, MemoryEventBus, NatsEventBus } from '@app/events';
import type { Cache } from '../cache/cache.js';
import { MemoryCache } from '../cache/memory-cache.js';
import { RedisCache } from '../cache/redis-cache.js';
import { type CommonConfig, requireSharedInfrastructure } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { RevocationList } from '../security/revocation-list.js';
import { TokenVerifier } from '../security/token-verifier.js';

/** What a service needs besides its own database: the shared cache, the event bus and the token check. */
export interface Infrastructure {
  cache: Cache;
  bus: EventBus;
  verifier: TokenVerifier;
  /** Closes only what this call opened. */
  close(): Promise<void>;
}

export interface InfrastructureOverrides {
  cache?: Cache;
  bus?: EventBus;
}

/**
 * Redis and NATS when their URLs are set, in-process equivalents otherwise. Overrides let the
 * embedded mode hand every service of the process the same in-memory cache and bus. In
 * production a service without an override must have both URLs (a ConfigError otherwise): a
 * private in-memory cache would keep its logouts from every other process.
 */
export async function connectInfrastructure(
  config: CommonConfig,
  logger: Logger,
  overrides: InfrastructureOverrides = {},
): Promise<Infrastructure> {
  const ownCache = !overrides.cache;
  const ownBus = !overrides.bus;
  requireSharedInfrastructure(config, { cache: ownCache, bus: ownBus });
  const cache =
    overrides.cache ??
    (config.REDIS_URL
      ? RedisCache.connect(config.REDIS_URL, { logger, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS })
      : new MemoryCache());
  let bus: EventBus;
  try {
    bus =
      overrides.bus ??
      (config.NATS_URL
        ? await NatsEventBus.connect({
            url: config.NATS_URL,
            namespace: config.NATS_NAMESPACE,
            replicas: config.NATS_STREAM_REPLICAS,
            logger,
          })
        : new MemoryEventBus({ logger }));
  } catch (err) {
    if (ownCache) await cache.close();
    throw err;
  }
  const closeOwn = async () => {
    if (ownBus) await bus.close();
    if (ownCache) await cache.close();
  };
  // Revocations in memory, pushed over the bus with the cache as the truth: no cache round trip per token check.
  const revocations = new RevocationList({ cache, bus, logger });
  try {
    await revocations.start();
  } catch (err) {
    await revocations.close();
    await closeOwn();
    throw err;
  }
  const verifier = new TokenVerifier({
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    cache,
    logger,
    revocations,
  });
  return {
    cache,
    bus,
    verifier,
    async close() {
      await revocations.close();
      await closeOwn();
    },
  };
}

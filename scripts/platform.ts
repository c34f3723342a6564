/**
 * Starts every service in this process: what `npm start` runs, and what the system tests run
 * against. With DATABASE_URL / REDIS_URL / NATS_URL unset it is fully embedded (one PGlite with a
 * schema per service, one in-memory cache and one in-process bus shared by all services);
 * with them set, the same code uses the real Postgres, Redis and NATS.
 */
import { MemoryEventBus, NatsEventBus, type EventBus } from '@app/events';
import { buildAuthService, loadAuthConfig } from '@app/auth';
import { buildGateway, loadGatewayConfig } from '@app/gateway';
import { commonEnv, createLogger, loadConfig, MemoryCache, RedisCache, startEmbeddedPostgres, type Cache, type Service } from '@app/platform';
import { buildUsersService, loadUsersConfig } from '@app/users';
import { buildWorkoutsService, loadWorkoutsConfig } from '@app/workouts';

export interface PlatformOptions {
  env?: Record<string, string | undefined>;
  /** 0 picks a free port. Defaults: the standard ports (gateway 4000, auth 4001, users 4002, workouts 4003). */
  ports?: Partial<Record<'gateway' | 'auth' | 'users' | 'workouts', number>>;
  /** Embedded PGlite keeps its data here; null keeps it in memory. Default: DATA_DIR. */
  dataDir?: string | null;
}

export interface RunningPlatform {
  gatewayUrl: string;
  urls: Record<string, string>;
  services: Record<string, Service>;
  databaseUrl: string;
  embedded: { database: boolean; cache: boolean; bus: boolean };
  cache: Cache;
  bus: EventBus;
  close(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  const env = { ...process.env, ...options.env };
  // Each service has its own schema name; a single DB_SCHEMA would put them all in one.
  delete env.DB_SCHEMA;
  const common = loadConfig(commonEnv, env);
  const logger = createLogger('platform', common.LOG_LEVEL);
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch((err) => logger.warn({ err }, 'error while stopping'));
  };

  try {
    const embeddedDb = common.DATABASE_URL ? null : await startEmbeddedPostgres(options.dataDir === undefined ? common.DATA_DIR : options.dataDir, logger);
    if (embeddedDb) closers.push(() => embeddedDb.close());
    const databaseUrl = common.DATABASE_URL ?? embeddedDb!.url;

    // One cache and one bus for the whole process: the embedded mode needs them shared
    // (the blacklist written by auth must be seen by the gateway), and with real servers one
    // connection each is simply cheaper.
    const cache: Cache = common.REDIS_URL ? RedisCache.connect(common.REDIS_URL) : new MemoryCache();
    closers.push(() => cache.close());
    const bus: EventBus = common.NATS_URL
      ? await NatsEventBus.connect({ url: common.NATS_URL, namespace: common.NATS_NAMESPACE, logger })
      : new MemoryEventBus({ logger });
    closers.push(() => bus.close());
    const infrastructure = { cache, bus };
    const host = '127.0.0.1';
    const ports = { gateway: 4000, auth: 4001, users: 4002, workouts: 4003, ...options.ports };
    const urls: Record<string, string> = {};
    const services: Record<string, Service> = {};

    const start = async (name: string, service: Service, port: number) => {
      closers.push(() => service.close());
      const bound = await service.listen(port, env.HOST ?? '0.0.0.0');
      urls[name] = `http://${host}:${bound}`;
      services[name] = service;
    };

    const auth = await buildAuthService({ config: loadAuthConfig(env), databaseUrl, infrastructure, logger: createLogger('auth', common.LOG_LEVEL) });
    await start('auth', auth, ports.auth);
    const withJwks = { ...env, AUTH_JWKS_URL: `${urls.auth}/.well-known/jwks.json` };

    const users = await buildUsersService({ config: loadUsersConfig(withJwks), databaseUrl, infrastructure, logger: createLogger('users', common.LOG_LEVEL) });
    await start('users', users, ports.users);

    const workouts = await buildWorkoutsService({
      config: loadWorkoutsConfig(withJwks),
      databaseUrl,
      infrastructure,
      logger: createLogger('workouts', common.LOG_LEVEL),
    });
    await start('workouts', workouts, ports.workouts);

    const gateway = await buildGateway({
      config: loadGatewayConfig({
        ...withJwks,
        SUBGRAPH_AUTH_URL: `${urls.auth}/graphql`,
        SUBGRAPH_USERS_URL: `${urls.users}/graphql`,
        SUBGRAPH_WORKOUTS_URL: `${urls.workouts}/graphql`,
      }),
      infrastructure,
      logger: createLogger('gateway', common.LOG_LEVEL),
    });
    await start('gateway', gateway, ports.gateway);

    return {
      gatewayUrl: `${urls.gateway}/graphql`,
      urls,
      services,
      databaseUrl,
      embedded: { database: !common.DATABASE_URL, cache: !common.REDIS_URL, bus: !common.NATS_URL },
      cache,
      bus,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

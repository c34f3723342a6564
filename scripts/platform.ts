/**
 * Starts every service in this process: what `npm start` runs, and what the system tests run
 * against. With DATABASE_URL / REDIS_URL / NATS_URL unset it is fully embedded (one PGlite with a
 * schema per service, one in-memory cache and one in-process bus shared by all services);
 * with them set, the same code uses the real Postgres, Redis and NATS.
 *
 * Every service listens on HOST, 127.0.0.1 unless set: the embedded demo seeds an admin with a
 * known password, so it is reachable from this machine only until HOST opens it up.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { buildAuthService, loadAuthConfig } from '@app/auth';
import { buildCatalogService, loadCatalogConfig } from '@app/catalog';
import { type EventBus, MemoryEventBus, NatsEventBus } from '@app/events';
import { buildGateway, loadGatewayConfig, subgraphUrlEnv } from '@app/gateway';
import { buildOrdersService, loadOrdersConfig } from '@app/orders';
import {
  type Cache,
  type CommonConfig,
  ConfigError,
  commonEnv,
  createLogger,
  type Logger,
  loadConfig,
  MemoryCache,
  RedisCache,
  requireSharedInfrastructure,
  runAsService,
  type Service,
  type SubgraphServiceOptions,
  startEmbeddedPostgres,
  startTracing,
  type Tracing,
} from '@app/platform';
import { buildRelationshipMapService, loadRelationshipMapConfig } from '@app/relationship-map';
import { buildUsersService, loadUsersConfig } from '@app/users';
import { buildWorkoutsService, loadWorkoutsConfig } from '@app/workouts';
import { type ProcessLayout, startServiceProcesses } from './service-processes.js';

type Env = Record<string, string | undefined>;

/** A subgraph the platform starts: its config read from the environment, then built with the shared parts. */
const subgraph = <N extends string, C>(
  name: N,
  loadConfig: (env: Env) => C,
  build: (options: SubgraphServiceOptions<C>) => Promise<Service>,
) => ({
  name,
  build: (env: Env, shared: Omit<SubgraphServiceOptions<C>, 'config'>) => build({ ...shared, config: loadConfig(env) }),
});

const AUTH = subgraph('auth', loadAuthConfig, buildAuthService);

/** The subgraphs after auth, in start order; each gets the environment with auth's JWKS URL. */
const SUBGRAPHS = [
  subgraph('users', loadUsersConfig, buildUsersService),
  subgraph('workouts', loadWorkoutsConfig, buildWorkoutsService),
  // Orders before catalog: its durable consumers of catalog.product.* must exist before the
  // catalog publishes (the sample catalog is seeded, and announced, while the catalog starts).
  subgraph('orders', loadOrdersConfig, buildOrdersService),
  subgraph('catalog', loadCatalogConfig, buildCatalogService),
  subgraph('relationship-map', loadRelationshipMapConfig, buildRelationshipMapService),
] as const;

export type ServiceName = 'gateway' | 'auth' | (typeof SUBGRAPHS)[number]['name'];
/** The standard ports, one per service. */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 4000,
  auth: 4001,
  users: 4002,
  workouts: 4003,
  catalog: 4004,
  orders: 4005,
  'relationship-map': 4006,
};
/** A free port for every service (tests, benchmarks). */
export const FREE_PORTS = Object.fromEntries(Object.keys(DEFAULT_PORTS).map((name) => [name, 0])) as Record<ServiceName, number>;

/** True for an address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** How this process reaches a service listening on `host`: an any-address answers on loopback. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export interface PlatformOptions {
  env?: Record<string, string | undefined>;
  /** 0 picks a free port. Defaults: DEFAULT_PORTS. */
  ports?: Partial<Record<ServiceName, number>>;
  /** Embedded PGlite keeps its data here; null keeps it in memory. Default: DATA_DIR. */
  dataDir?: string | null;
  /** false: the subgraphs only (the subgraphs' process of PLATFORM_PROCESSES=two), gatewayUrl ''. Default: true. */
  withGateway?: boolean;
}

export interface RunningPlatform {
  gatewayUrl: string;
  urls: Record<string, string>;
  services: Record<string, Service>;
  databaseUrl: string;
  /** The address every service listens on (HOST). */
  host: string;
  embedded: { database: boolean; cache: boolean; bus: boolean };
  cache: Cache;
  bus: EventBus;
  /** On when OTEL_EXPORTER_OTLP_ENDPOINT is set: each service's spans under its own service.name. */
  tracing: Tracing;
  close(): Promise<void>;
}

/** What `npm start` needs of a platform, however it runs. */
export type LaunchedPlatform = Pick<RunningPlatform, 'gatewayUrl' | 'urls' | 'host' | 'embedded' | 'close'> & {
  /** `one`: every service in this process; `two`: the gateway in one, the subgraphs in another; `per-service`: a process each. */
  processes: PlatformProcesses;
  /** Each service's process id (this process's for every service when they share it). */
  pids: Record<string, number>;
};

export type PlatformProcesses = 'one' | ProcessLayout;
const LAYOUTS: readonly PlatformProcesses[] = ['one', 'two', 'per-service'];
/** Cores from which the default with external servers is a process per service rather than `two`. */
export const PER_SERVICE_FROM_CORES = 4;

/**
 * PLATFORM_PROCESSES: with DATABASE_URL, REDIS_URL and NATS_URL all set, `per-service` runs each
 * service in its own process, as the containers do, and `two` the gateway in one process and
 * every subgraph in another; `one` keeps them all in this process. The default with those servers
 * is `per-service` on PER_SERVICE_FROM_CORES cores or more (`cores`: this machine's), `two` below:
 * on two cores, seven processes take turns, and every hop of a request or of an order's saga
 * wakes another one (the saga's CPU per order is ~20% lower in `two`; see the README). The
 * embedded mode is always `one`: PGlite, the in-memory cache and the in-process bus are shared by
 * the services of one process only.
 */
export function platformProcesses(env: Record<string, string | undefined>, cores = availableParallelism()): PlatformProcesses {
  const external = !!(env.DATABASE_URL && env.REDIS_URL && env.NATS_URL);
  const asked = env.PLATFORM_PROCESSES as PlatformProcesses | undefined;
  if (asked && !LAYOUTS.includes(asked)) {
    throw new ConfigError([{ variable: 'PLATFORM_PROCESSES', message: `must be "one", "two" or "per-service", not "${asked}"` }]);
  }
  if (asked && asked !== 'one' && !external) {
    throw new ConfigError([
      {
        variable: 'PLATFORM_PROCESSES',
        message: `${asked} needs DATABASE_URL, REDIS_URL and NATS_URL: separate processes share no memory`,
      },
    ]);
  }
  if (asked) return asked;
  if (!external) return 'one';
  return cores >= PER_SERVICE_FROM_CORES ? 'per-service' : 'two';
}

/** `npm start`: the platform in one process, in two (the gateway, the subgraphs) or in a process per service (platformProcesses). */
export async function launchPlatform(
  options: PlatformOptions & { onServiceExit?: (name: string, code: number | null) => void } = {},
): Promise<LaunchedPlatform> {
  const env = { ...process.env, ...options.env };
  const processes = platformProcesses(env);
  if (processes === 'one') {
    const platform = await startPlatform(options);
    const pids = Object.fromEntries(Object.keys(platform.urls).map((name) => [name, process.pid]));
    return { ...platform, processes: 'one', pids };
  }
  delete env.DB_SCHEMA;
  const common = loadConfig(commonEnv, env);
  requireSharedInfrastructure(common);
  const started = await startServiceProcesses({
    env,
    host: common.HOST,
    reachableHost: reachableHost(common.HOST),
    ports: { ...DEFAULT_PORTS, ...options.ports },
    layout: processes,
    onExit: options.onServiceExit,
  });
  return {
    gatewayUrl: `${started.urls.gateway}/graphql`,
    urls: started.urls,
    host: common.HOST,
    embedded: { database: false, cache: false, bus: false },
    processes,
    pids: Object.fromEntries(Object.entries(started.children).map(([name, child]) => [name, child.pid!])),
    close: started.close,
  };
}

export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  const env = { ...process.env, ...options.env };
  // The gateway's internal calls to auth (a LINE user's short-lived token) need a key both know;
  // started together in one process, they can share one made up now.
  env.INTERNAL_API_KEY ||= randomBytes(32).toString('base64url');
  // Each service has its own schema name; a single DB_SCHEMA would put them all in one.
  delete env.DB_SCHEMA;
  const common = loadConfig(commonEnv, env);
  // One process shares one in-memory cache and bus, so the embedded mode may do without Redis and
  // NATS even in production. With a real database it may not: a shared database is what lets a
  // second process serve the same users, and that process would never see this one's logouts.
  if (common.DATABASE_URL) requireSharedInfrastructure(common);
  // Before anything is built (the HTTP shells, GraphQL servers and loggers trace only when it
  // runs); each service is built as itself (runAsService), so its spans carry its own name.
  const tracing = await startTracing({ service: 'platform', perService: true, env, logger: createLogger('platform', common.LOG_LEVEL) });
  const logger = createLogger('platform', common.LOG_LEVEL);
  // The first closer runs last: the spans of the shutdown go out too.
  const closers: (() => Promise<unknown>)[] = [() => tracing.shutdown()];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch((err) => logger.warn({ err }, 'error while stopping'));
  };

  try {
    const embeddedDb = common.DATABASE_URL
      ? null
      : await startEmbeddedPostgres(options.dataDir === undefined ? common.DATA_DIR : options.dataDir, logger);
    // PGlite serves one query at a time for every service of the process: a connection may wait
    // its turn well past the 2 s meant for a real server, so the embedded mode waits longer.
    if (embeddedDb && !env.DB_CONNECT_TIMEOUT_MS) env.DB_CONNECT_TIMEOUT_MS = '15000';
    if (embeddedDb) closers.push(() => embeddedDb.close());
    const databaseUrl = common.DATABASE_URL ?? embeddedDb!.url;

    const { cache, bus } = await sharedInfrastructure(common, logger, closers);
    const infrastructure = { cache, bus };
    const host = reachableHost(common.HOST);
    const ports = { ...DEFAULT_PORTS, ...options.ports };
    const urls: Record<string, string> = {};
    const services: Record<string, Service> = {};

    const start = async (name: string, service: Service, port: number) => {
      closers.push(() => service.close());
      const bound = await service.listen(port, common.HOST);
      urls[name] = `http://${host}:${bound}`;
      services[name] = service;
    };

    const shared = (name: string) => ({ databaseUrl, infrastructure, logger: createLogger(name, common.LOG_LEVEL) });
    await start(AUTH.name, await runAsService(AUTH.name, () => AUTH.build(env, shared(AUTH.name))), ports.auth);
    const withJwks = { ...env, AUTH_JWKS_URL: `${urls.auth}/.well-known/jwks.json` };

    // Every other subgraph verifies tokens against auth's JWKS, so auth starts first.
    for (const { name, build } of SUBGRAPHS) await start(name, await runAsService(name, () => build(withJwks, shared(name))), ports[name]);
    const running = {
      urls,
      services,
      databaseUrl,
      host: common.HOST,
      embedded: { database: !common.DATABASE_URL, cache: !common.REDIS_URL, bus: !common.NATS_URL },
      cache,
      bus,
      tracing,
      close,
    };
    if (options.withGateway === false) return { ...running, gatewayUrl: '' };

    const gateway = await runAsService('gateway', () =>
      buildGateway({
        config: loadGatewayConfig({ ...withJwks, ...subgraphUrlEnv(urls), AUTH_INTERNAL_URL: urls.auth }),
        infrastructure,
        logger: createLogger('gateway', common.LOG_LEVEL),
      }),
    );
    await start('gateway', gateway, ports.gateway);
    return { ...running, gatewayUrl: `${urls.gateway}/graphql` };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * One cache and one bus for the whole process: the embedded mode needs them shared (the
 * blacklist written by auth must be seen by the gateway), and with real servers one connection
 * each is simply cheaper. Each is closed by `closers`.
 */
async function sharedInfrastructure(
  common: CommonConfig,
  logger: Logger,
  closers: (() => Promise<unknown>)[],
): Promise<{ cache: Cache; bus: EventBus }> {
  const cache: Cache = common.REDIS_URL
    ? RedisCache.connect(common.REDIS_URL, { logger, commandTimeoutMs: common.REDIS_COMMAND_TIMEOUT_MS })
    : new MemoryCache();
  closers.push(() => cache.close());
  const bus: EventBus = common.NATS_URL
    ? await NatsEventBus.connect({ url: common.NATS_URL, namespace: common.NATS_NAMESPACE, replicas: common.NATS_STREAM_REPLICAS, logger })
    : new MemoryEventBus({ logger });
  closers.push(() => bus.close());
  return { cache, bus };
}

/**
 * The platform as separate processes, one per service, as a deployment runs it: each service's
 * entry point (`subgraphs/<name>/src/index.ts`, `gateway/src/index.ts`) under Node 24 with tsx and
 * the services' Node flags, each on a port chosen up front so that a process killed (SIGKILL) and
 * started again comes back where the others expect it.
 *
 * Isolated from the rest of the suite (which may run at the same time on the same machine):
 * - a private nats-server (its JetStream store survives a kill) and a NATS namespace of its own;
 * - a private redis-server: the services share keys such as `jwks:cache`, and this platform's
 *   auth signs with keys of its own, which must not replace the suite's in the shared Redis;
 * - a database schema of its own per service on the shared Postgres (DB_SCHEMA): with the
 *   default schemas the suite's orders service would relay this platform's outbox rows and sweep
 *   its sagas.
 * Everything is killed and removed at `close()`: processes, streams, the private servers, schemas.
 *
 * Set FAULT_LOG_DIR to keep each service's output (with TEST_LOG_LEVEL=info, say) in
 * `<FAULT_LOG_DIR>/<service>.log` across its restarts.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ConsumerInfo, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { subgraphUrlEnv } from '../../../gateway/src/config.js';
import { SERVICE_NODE_FLAGS, serviceEntryPoint } from '../../../scripts/service-processes.js';
import { testAdmin, testEnv } from '../env.js';
import { freePort } from '../ports.js';
import { type PrivateNats, startPrivateNats } from './private-nats.js';
import { PrivateServer } from './private-process.js';
import { type PrivateRedis, startPrivateRedis } from './private-redis.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

export const SUBGRAPH_NAMES = ['auth', 'users', 'workouts', 'orders', 'catalog', 'relationship-map'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
export type ServiceName = SubgraphName | 'gateway';
export const SERVICE_NAMES: readonly ServiceName[] = [...SUBGRAPH_NAMES, 'gateway'];

/**
 * Start order, as in scripts/platform.ts: auth first (every other service verifies tokens against
 * its JWKS), orders before catalog (orders' durable consumers of catalog.product.* exist before
 * the catalog publishes), the gateway last. Services of one group start together.
 */
export const START_GROUPS: readonly (readonly ServiceName[])[] = [
  ['auth'],
  ['users', 'workouts', 'orders', 'relationship-map'],
  ['catalog'],
  ['gateway'],
];

/** Answers within `ms` or throws (a probe must never hang on a frozen or half-started process). */
async function fetchWithin(url: string, ms: number): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(ms) });
}

export interface ServiceStartOptions {
  /** Also wait for `/health` (database, cache, NATS, and for the gateway every subgraph) to answer 200. Default true. */
  health?: boolean;
}

/** One service of the platform as a process of its own: start, kill (SIGKILL), stop (SIGTERM), start again on the same port. */
export class ServiceProcess {
  readonly url: string;
  private server: PrivateServer | undefined;
  private starts = 0;

  constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: () => Record<string, string>,
    private readonly logDir: string | undefined,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get running(): boolean {
    return !!this.server?.running;
  }

  get pid(): number | undefined {
    return this.server?.pid;
  }

  /** SIGSTOP: the process stays (its sockets open, messages delivered to it held) but does nothing; `kill` still ends it. */
  freeze(): void {
    this.server?.freeze();
  }

  /** SIGCONT after `freeze`: it carries on where it stopped. */
  thaw(): void {
    this.server?.thaw();
  }

  /** How many times the process was started. */
  get startCount(): number {
    return this.starts;
  }

  /** Spawns the entry point and waits for `/healthz` (and `/health` unless told otherwise). */
  async start(options: ServiceStartOptions = {}): Promise<void> {
    if (this.running) return;
    const health = options.health ?? true;
    let logFd: number | undefined;
    if (this.logDir) {
      mkdirSync(this.logDir, { recursive: true });
      logFd = openSync(join(this.logDir, `${this.name}.log`), 'a');
    }
    // One process (not the tsx CLI, which runs the program in a child of its own): a SIGKILL
    // must reach the service itself, not leave it orphaned on its port.
    const server = new PrivateServer({
      name: `${this.name} :${this.port}`,
      command: process.execPath,
      args: [...SERVICE_NODE_FLAGS, '--import', 'tsx', serviceEntryPoint(this.name)],
      spawnOptions: {
        cwd: repoRoot,
        env: {
          ...process.env,
          // Anything that runs `node` from PATH gets the project's Node 24 (this process's), not the system's.
          PATH: `${dirname(process.execPath)}:${join(repoRoot, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
          ...this.env(),
        },
        ...(logFd !== undefined ? { stdio: ['ignore', logFd, logFd] } : {}),
      },
      // Two cores shared with the rest of the suite: loading a service's modules can take a while.
      startTimeoutMs: 90_000,
      probe: async () => {
        const live = await fetchWithin(`${this.url}/healthz`, 1_000);
        if (!live.ok) throw new Error(`/healthz answered ${live.status}`);
        if (!health) return;
        const ready = await fetchWithin(`${this.url}/health`, 3_000);
        if (!ready.ok) throw new Error(`/health answered ${ready.status}: ${(await ready.text()).slice(0, 300)}`);
      },
    });
    // The previous incarnation (killed) stops being watched; the new one is killed if the test process exits.
    await this.server?.dispose();
    this.server = server;
    this.starts++;
    try {
      await server.start();
    } catch (err) {
      if (this.logDir) (err as Error).message += ` (its output: ${join(this.logDir, `${this.name}.log`)})`;
      throw err;
    } finally {
      if (logFd !== undefined) closeSync(logFd); // the child has its own copy
    }
  }

  /** SIGKILL: the process dies on the spot (no shutdown hook, open transactions rolled back by Postgres, NATS messages left unacked). */
  async kill(): Promise<void> {
    await this.server?.kill();
  }

  /** SIGTERM: a graceful stop. */
  async stop(): Promise<void> {
    await this.server?.stop();
  }

  /** Kill, then start again on the same port. */
  async restart(options?: ServiceStartOptions): Promise<void> {
    await this.kill();
    await this.start(options);
  }

  async dispose(): Promise<void> {
    await this.server?.dispose();
  }
}

export interface ProcessPlatformOptions {
  /** Added to every service's environment (after the defaults). */
  env?: Record<string, string>;
  /** Added to one service's environment. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
}

export interface JetStreamState {
  consumers: Pick<ConsumerInfo, 'name' | 'num_pending' | 'num_ack_pending' | 'num_redelivered' | 'num_waiting'>[];
  /** Messages in the namespace's DLQ stream. */
  deadLetters: number;
  /** Messages in the namespace's EVENTS stream. */
  events: number;
}

export interface ProcessPlatform {
  /** The environment every service got (before its PORT, DB_SCHEMA and SUBGRAPH_* settings). */
  env: Record<string, string>;
  namespace: string;
  nats: PrivateNats;
  redis: PrivateRedis;
  services: Record<ServiceName, ServiceProcess>;
  /** DB_SCHEMA of each subgraph. */
  schemas: Record<SubgraphName, string>;
  gatewayBase: string;
  /** The gateway's GraphQL endpoint. */
  gatewayUrl: string;
  /** SQL on the shared database (name the tables with `platform.schemas`). */
  query<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  /** The namespace's JetStream consumers and streams, read from the private nats-server. */
  jetStream(): Promise<JetStreamState>;
  /** Starts NATS and Redis if down, then every service not running, in start order (after a test that failed halfway, say). */
  startStopped(): Promise<void>;
  close(): Promise<void>;
}

/** Ports nothing listens on, all different. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export async function startProcessPlatform(options: ProcessPlatformOptions = {}): Promise<ProcessPlatform> {
  const suffix = randomBytes(4).toString('hex');
  const namespace = `fp${suffix}`;
  const schemas = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `fp${suffix}_${name.replace(/-/g, '_')}`])) as Record<
    SubgraphName,
    string
  >;
  const portList = await freePorts(SERVICE_NAMES.length);
  const ports = Object.fromEntries(SERVICE_NAMES.map((name, i) => [name, portList[i]])) as Record<ServiceName, number>;
  const urls = Object.fromEntries(SERVICE_NAMES.map((name) => [name, `http://127.0.0.1:${ports[name]}`])) as Record<ServiceName, string>;
  const logDir = process.env.FAULT_LOG_DIR ? join(process.env.FAULT_LOG_DIR, namespace) : undefined;

  const cleanups: (() => Promise<unknown>)[] = [];
  let db: pg.Pool | undefined;
  const close = async () => {
    const errors: unknown[] = [];
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw new AggregateError(errors, 'process platform: cleanup failed');
  };

  try {
    const nats = await startPrivateNats();
    cleanups.push(() => nats.dispose());
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.server.dispose());
    const base = testEnv();
    db = new pg.Pool({ connectionString: base.DATABASE_URL, max: 3 });
    const pool = db;
    cleanups.push(async () => {
      for (const schema of Object.values(schemas)) await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    });

    const env: Record<string, string> = {
      ...base,
      NATS_URL: nats.url,
      NATS_NAMESPACE: namespace,
      REDIS_URL: redis.url,
      HOST: '127.0.0.1',
      AUTH_JWKS_URL: `${urls.auth}/.well-known/jwks.json`,
      ADMIN_USERNAME: testAdmin.username,
      ADMIN_PASSWORD: testAdmin.password,
      // Shared by the gateway and auth (internal calls, client addresses for login throttling).
      INTERNAL_API_KEY: randomBytes(32).toString('base64url'),
      OUTBOX_POLL_INTERVAL: '0.2',
      ...options.env,
    };
    const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, urls[name]]));
    const envOf = (name: ServiceName): Record<string, string> => ({
      ...env,
      PORT: String(ports[name]),
      ...(name === 'gateway' ? { ...subgraphUrlEnv(subgraphUrls), AUTH_INTERNAL_URL: urls.auth } : { DB_SCHEMA: schemas[name] }),
      ...options.serviceEnv?.[name],
    });
    const services = Object.fromEntries(
      SERVICE_NAMES.map((name) => [name, new ServiceProcess(name, ports[name], () => envOf(name), logDir)]),
    ) as Record<ServiceName, ServiceProcess>;
    // Registered before the processes start: a failed start still kills what did start.
    cleanups.push(async () => {
      // Streams first, while the server runs (its store is removed with it anyway).
      const nc = await connect({ servers: nats.url, reconnect: false, timeout: 2_000 }).catch(() => null);
      if (nc) {
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2_000 });
          for (const stream of [`${namespace.toUpperCase()}_EVENTS`, `${namespace.toUpperCase()}_DLQ`])
            await jsm.streams.delete(stream).catch(() => {});
        } finally {
          await nc.close();
        }
      }
    });
    cleanups.push(() => Promise.all(Object.values(services).map((s) => s.dispose())));

    const startStopped = async () => {
      if (!nats.server.running) await nats.server.start();
      if (!redis.server.running) await redis.server.start();
      for (const group of START_GROUPS) await Promise.all(group.map((name) => services[name].start()));
    };
    await startStopped();

    const query = async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[];
    const jetStream = async (): Promise<JetStreamState> => {
      const nc = await connect({ servers: nats.url, reconnect: false, timeout: 2_000 });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 5_000 });
        const eventsStream = `${namespace.toUpperCase()}_EVENTS`;
        const consumers = (await jsm.consumers.list(eventsStream).next()).map((c) => ({
          name: c.name,
          num_pending: c.num_pending,
          num_ack_pending: c.num_ack_pending,
          num_redelivered: c.num_redelivered,
          num_waiting: c.num_waiting,
        }));
        const deadLetters = (await jsm.streams.info(`${namespace.toUpperCase()}_DLQ`)).state.messages;
        const events = (await jsm.streams.info(eventsStream)).state.messages;
        return { consumers, deadLetters, events };
      } finally {
        await nc.close();
      }
    };

    return {
      env,
      namespace,
      nats,
      redis,
      services,
      schemas,
      gatewayBase: urls.gateway,
      gatewayUrl: `${urls.gateway}/graphql`,
      query,
      jetStream,
      startStopped,
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

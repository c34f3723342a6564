/**
 * The platform as one process per service, the way docker-compose runs it, for a machine with
 * real Postgres, Redis and NATS: every service gets its own event loop, so the gateway and the
 * subgraphs it calls use every core instead of queueing on one. Each child is the service's own
 * entry point (`node --no-memory-reducer --import tsx <service>/src/index.ts`), so this is
 * exactly what the containers run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { subgraphUrlEnv } from '@app/gateway';
import { isServiceListening } from '@app/platform/core';

type Env = Record<string, string | undefined>;

const root = fileURLToPath(new URL('..', import.meta.url));
/**
 * Node's flags for every service process (docker-compose.yml and the Dockerfile pass the same).
 * `--no-memory-reducer`: V8's memory reducer shrinks the heap of a process that went quiet, and
 * its limits start again from there, so when traffic comes back the service runs a full collection
 * every few seconds (each a 5-30 ms pause, plus marking on the other core) until its limits grow again:
 * in the bench's full run, orders and catalog ran one to three in the saga's 5-s open loop, and
 * its slowest orders were the ones under them. Without it a quiet service keeps the heap its last load
 * grew (tens of MB), and collects as its allocations ask.
 */
export const SERVICE_NODE_FLAGS = ['--no-memory-reducer'] as const;

/** A service's entry point, relative to the repository root (what its container runs). */
export const serviceEntryPoint = (name: string) => (name === 'gateway' ? 'gateway/src/index.ts' : `subgraphs/${name}/src/index.ts`);

/**
 * Start order, a group at a time: auth first (the others read its JWKS), orders before the
 * catalog (its durable consumers of catalog.product.* must exist before the catalog announces its
 * products), the gateway last.
 */
export const SERVICE_GROUPS = [['auth'], ['users', 'workouts', 'orders', 'relationship-map'], ['catalog'], ['gateway']] as const;

/** How long a service may take to build, migrate and answer /healthz. */
const START_TIMEOUT_MS = 60_000;
/** Ports tried for auth when the one chosen is taken before auth binds it. */
const PORT_ATTEMPTS = 3;
/** How long a service may take to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

export interface ServiceProcesses {
  urls: Record<string, string>;
  /** Each service's process, by name. */
  children: Record<string, ChildProcess>;
  close(): Promise<void>;
}

/** A free TCP port on `host` (port 0 asked of the kernel, then released for the child to bind). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A platform profiled with `node --cpu-prof` (BENCH_CPU_PROF) profiles each service too, one file per process. */
const profilingFlags = () => process.execArgv.filter((arg, i, all) => arg.startsWith('--cpu-prof') || all[i - 1] === '--cpu-prof-dir');

async function untilHealthy(name: string, url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode)
      throw new Error(`${name} exited while starting (code ${child.exitCode ?? child.signalCode})`);
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer ${url}/healthz within ${START_TIMEOUT_MS / 1000} s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts every service as its own process on `ports` and waits until each answers. A service
 * given port 0 binds one the kernel picks and says which (`announceListening`, over an IPC
 * channel): a port chosen here and bound by the child seconds later could be taken meanwhile by
 * any other process, whose answers a health check would then take for the service's. Auth is the
 * exception: every service, auth too, is told its JWKS address when it starts, so its port is
 * chosen here, and chosen again if it exits before listening (the port was taken). `onExit`
 * hears of a service that stops on its own afterwards (the platform is then incomplete).
 */
export async function startServiceProcesses(options: {
  env: Env;
  host: string;
  reachableHost: string;
  ports: Record<string, number>;
  onExit?: (name: string, code: number | null) => void;
}): Promise<ServiceProcesses> {
  const { env, host } = options;
  const urls: Record<string, string> = {};
  const url = (port: number) => `http://${options.reachableHost}:${port}`;
  // The gateway's internal calls to auth need a key both know.
  const internalApiKey = env.INTERNAL_API_KEY || randomBytes(32).toString('base64url');
  const children: Record<string, ChildProcess> = {};
  let closing = false;
  const close = async () => {
    closing = true;
    // The reverse of the start order: the gateway stops taking requests first.
    for (const group of [...SERVICE_GROUPS].reverse()) await Promise.all(group.map((name) => children[name] && stopChild(children[name])));
  };
  /** Spawns one service on `port` (0: its own pick); resolves with the port it listens on, once it answers. */
  const start = async (name: string, port: number): Promise<number> => {
    const shared: Env = {
      ...env,
      // Each service has its own schema name; a single DB_SCHEMA would put them all in one.
      DB_SCHEMA: undefined,
      INTERNAL_API_KEY: internalApiKey,
      AUTH_JWKS_URL: `${urls.auth}/.well-known/jwks.json`,
      HOST: host,
    };
    const child = spawn(process.execPath, [...profilingFlags(), ...SERVICE_NODE_FLAGS, '--import', 'tsx', serviceEntryPoint(name)], {
      cwd: root,
      env: { ...shared, ...(name === 'gateway' ? gatewayEnv(urls) : {}), PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children[name] = child;
    const listening = await untilListening(name, child);
    await untilHealthy(name, url(listening), child);
    // Started: from now on, a stop nobody asked for is news.
    child.once('exit', (code) => {
      if (!closing) options.onExit?.(name, code);
    });
    return listening;
  };
  try {
    const authPort = options.ports.auth;
    for (let attempt = 1; !urls.auth; attempt++) {
      const port = authPort || (await freePort(host));
      urls.auth = url(port);
      try {
        await start('auth', port);
      } catch (err) {
        const taken = !authPort && children.auth?.exitCode !== null && attempt < PORT_ATTEMPTS;
        if (!taken) throw err;
        delete urls.auth;
      }
    }
    for (const group of SERVICE_GROUPS.slice(1)) {
      await Promise.all(
        group.map(async (name) => {
          urls[name] = url(await start(name, options.ports[name] ?? 0));
        }),
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { urls, children, close };
}

/** The gateway's addresses of the subgraphs (and of auth's internal API). */
function gatewayEnv(urls: Record<string, string>): Env {
  return {
    ...subgraphUrlEnv(Object.fromEntries(Object.entries(urls).filter(([n]) => n !== 'gateway'))),
    AUTH_INTERNAL_URL: urls.auth,
  };
}

/** The port a child says it listens on (`announceListening`); rejects when it exits or stays silent past START_TIMEOUT_MS. */
function untilListening(name: string, child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`${name} did not start listening within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const onMessage = (message: unknown) => {
      if (isServiceListening(message)) done(null, message.port);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`${name} exited while starting (code ${code ?? signal})`));
    function done(err: Error | null, port?: number) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (child.connected) child.disconnect();
      if (err) reject(err);
      else resolve(port!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

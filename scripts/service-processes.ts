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

/** The subgraphs' process of the `two` layout reads each subgraph's port here (JSON, name -> port; 0: its own pick). */
export const SUBGRAPH_PORTS_VARIABLE = 'PLATFORM_SUBGRAPH_PORTS';

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
 * How `npm start` lays the services out in processes with real Postgres, Redis and NATS:
 * `per-service`, each its own (as the containers run them); `two`, the gateway in one and every
 * subgraph in the other (SUBGRAPHS_ENTRY_POINT).
 */
export type ProcessLayout = 'per-service' | 'two';

/** The process that runs every subgraph in the `two` layout (scripts/subgraphs-process.ts). */
export const SUBGRAPHS_ENTRY_POINT = 'scripts/subgraphs-process.ts';
/** What `onExit` calls the subgraphs' process of the `two` layout. */
export const SUBGRAPHS_PROCESS = 'subgraphs';
/** Every service but the gateway, in start order. */
const SUBGRAPH_NAMES: string[] = SERVICE_GROUPS.flat().filter((name) => name !== 'gateway');

/**
 * Starts the services in processes of their own (`layout`) on `ports` and waits until each
 * answers. A service given port 0 binds one the kernel picks and says which
 * (`announceListening`, over an IPC channel): a port chosen here and bound by the child seconds
 * later could be taken meanwhile by any other process, whose answers a health check would then
 * take for the service's. Auth is the exception with a process per service: every service, auth
 * too, is told its JWKS address when it starts, so its port is chosen here, and chosen again if
 * it exits before listening (the port was taken); the subgraphs' process of the `two` layout
 * starts auth before the others itself. `onExit` hears of a process that stops on its own
 * afterwards (the platform is then incomplete): the service's name, or SUBGRAPHS_PROCESS.
 */
export async function startServiceProcesses(options: {
  env: Env;
  host: string;
  reachableHost: string;
  ports: Record<string, number>;
  layout?: ProcessLayout;
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
    for (const group of [...SERVICE_GROUPS].reverse())
      await Promise.all([...new Set(group.map((name) => children[name]).filter(Boolean))].map(stopChild));
  };
  const shared: Env = {
    ...env,
    // Each service has its own schema name; a single DB_SCHEMA would put them all in one.
    DB_SCHEMA: undefined,
    INTERNAL_API_KEY: internalApiKey,
    HOST: host,
  };
  const spawnServices = async (names: string[], entryPoint: string, extraEnv: Env): Promise<Record<string, number>> => {
    const { child, label, ports } = await spawnServiceProcess(names, entryPoint, { ...shared, ...extraEnv }, url, children);
    // Started: from now on, a stop nobody asked for is news.
    child.once('exit', (code) => {
      if (!closing) options.onExit?.(label, code);
    });
    return ports;
  };
  /** Spawns one service's own entry point on `port` (0: its own pick); resolves with the port it listens on. */
  const start = async (name: string, port: number): Promise<number> => {
    const extraEnv: Env = {
      AUTH_JWKS_URL: `${urls.auth}/.well-known/jwks.json`,
      ...(name === 'gateway' ? gatewayEnv(urls) : {}),
      PORT: String(port),
    };
    return (await spawnServices([name], serviceEntryPoint(name), extraEnv))[name];
  };
  try {
    if (options.layout === 'two') {
      const ports = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, options.ports[name] ?? 0]));
      const listening = await spawnServices(SUBGRAPH_NAMES, SUBGRAPHS_ENTRY_POINT, { [SUBGRAPH_PORTS_VARIABLE]: JSON.stringify(ports) });
      for (const name of SUBGRAPH_NAMES) urls[name] = url(listening[name]);
      urls.gateway = url(await start('gateway', options.ports.gateway ?? 0));
      return { urls, children, close };
    }
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

/**
 * Spawns `entryPoint` with `env` for the services `names` (each put in `children` at once, for a
 * close during the start); resolves once each has said its port and answers at `url(port)`.
 */
async function spawnServiceProcess(
  names: string[],
  entryPoint: string,
  env: Env,
  url: (port: number) => string,
  children: Record<string, ChildProcess>,
): Promise<{ child: ChildProcess; label: string; ports: Record<string, number> }> {
  const child = spawn(process.execPath, [...profilingFlags(), ...SERVICE_NODE_FLAGS, '--import', 'tsx', entryPoint], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  for (const name of names) children[name] = child;
  const label = names.length === 1 ? names[0] : SUBGRAPHS_PROCESS;
  const ports = await untilListening(label, names, child);
  for (const name of names) await untilHealthy(name, url(ports[name]), child);
  return { child, label, ports };
}

/** The gateway's addresses of the subgraphs (and of auth's internal API). */
function gatewayEnv(urls: Record<string, string>): Env {
  return {
    ...subgraphUrlEnv(Object.fromEntries(Object.entries(urls).filter(([n]) => n !== 'gateway'))),
    AUTH_INTERNAL_URL: urls.auth,
  };
}

/**
 * The port each of `names` says it listens on (`announceListening`), from the child `label`
 * names; rejects when it exits or some stay silent past START_TIMEOUT_MS.
 */
function untilListening(label: string, names: string[], child: ChildProcess): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`${label} did not start listening within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const onMessage = (message: unknown) => {
      if (!isServiceListening(message) || !names.includes(message.name)) return;
      ports[message.name] = message.port;
      if (names.every((name) => ports[name] !== undefined)) done(null);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`${label} exited while starting (code ${code ?? signal})`));
    function done(err: Error | null) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (child.connected) child.disconnect();
      if (err) reject(err);
      else resolve(ports);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

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
 * Starts every service as its own process on `ports` (0: a free one) and waits until each answers.
 * `onExit` hears of a service that stops on its own afterwards (the platform is then incomplete).
 */
export async function startServiceProcesses(options: {
  env: Env;
  host: string;
  reachableHost: string;
  ports: Record<string, number>;
  onExit?: (name: string, code: number | null) => void;
}): Promise<ServiceProcesses> {
  const { env, host } = options;
  const ports: Record<string, number> = {};
  for (const name of SERVICE_GROUPS.flat()) ports[name] = options.ports[name] || (await freePort(host));
  const urls = Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, `http://${options.reachableHost}:${port}`]));
  // The gateway's internal calls to auth need a key both know.
  const shared: Env = {
    ...env,
    // Each service has its own schema name; a single DB_SCHEMA would put them all in one.
    DB_SCHEMA: undefined,
    INTERNAL_API_KEY: env.INTERNAL_API_KEY || randomBytes(32).toString('base64url'),
    AUTH_JWKS_URL: `${urls.auth}/.well-known/jwks.json`,
    HOST: host,
  };
  const gatewayEnv: Env = { ...subgraphUrlEnv(Object.fromEntries(Object.entries(urls).filter(([n]) => n !== 'gateway'))) };
  gatewayEnv.AUTH_INTERNAL_URL = urls.auth;

  const children: Record<string, ChildProcess> = {};
  let closing = false;
  const close = async () => {
    closing = true;
    // The reverse of the start order: the gateway stops taking requests first.
    for (const group of [...SERVICE_GROUPS].reverse()) await Promise.all(group.map((name) => children[name] && stopChild(children[name])));
  };
  try {
    for (const group of SERVICE_GROUPS) {
      await Promise.all(
        group.map((name) => {
          const child = spawn(process.execPath, [...profilingFlags(), ...SERVICE_NODE_FLAGS, '--import', 'tsx', serviceEntryPoint(name)], {
            cwd: root,
            env: { ...shared, ...(name === 'gateway' ? gatewayEnv : {}), PORT: String(ports[name]) },
            stdio: ['ignore', 'inherit', 'inherit'],
          });
          children[name] = child;
          child.once('exit', (code) => {
            if (!closing) options.onExit?.(name, code);
          });
          return untilHealthy(name, urls[name], child);
        }),
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { urls, children, close };
}

/**
 * Issue 14: with real Postgres, Redis and NATS, `npm start` (launchPlatform) runs the services in
 * processes of their own so the gateway and the subgraphs use every core: each in its own, as the
 * containers do, or (`two`, the default below four cores) the gateway in one and the subgraphs in
 * another. Each platform here is kept apart from the suite's: a database and a redis-server of its
 * own (its auth signs with keys of its own), and a NATS namespace of its own.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PORTS, type LaunchedPlatform, launchPlatform, platformProcesses } from '../scripts/platform.js';
import { SERVICE_NODE_FLAGS, SUBGRAPHS_PROCESS } from '../scripts/service-processes.js';
import { testAdmin, testEnv } from './support/env.js';
import { type PrivateRedis, startPrivateRedis } from './support/faults/index.js';
import { deleteNamespaceStreams } from './support/nats-namespace.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('PLATFORM_PROCESSES', () => {
  const external = { DATABASE_URL: 'postgres://x', REDIS_URL: 'redis://x', NATS_URL: 'nats://x' };

  it('with external Postgres, Redis and NATS is a process per service from four cores, two below; one process when embedded', () => {
    expect(platformProcesses(external, 4)).toBe('per-service');
    expect(platformProcesses(external, 16)).toBe('per-service');
    expect(platformProcesses(external, 2)).toBe('two');
    expect(platformProcesses(external, 1)).toBe('two');
    expect(platformProcesses({}, 16)).toBe('one');
    expect(platformProcesses({ ...external, PLATFORM_PROCESSES: 'one' }, 16)).toBe('one');
    expect(platformProcesses({ ...external, PLATFORM_PROCESSES: 'two' }, 16)).toBe('two');
    expect(platformProcesses({ ...external, PLATFORM_PROCESSES: 'per-service' }, 2)).toBe('per-service');
  });

  it('refuses processes of their own without shared servers, and an unknown value, naming the variable', () => {
    expect(() => platformProcesses({ PLATFORM_PROCESSES: 'per-service', DATABASE_URL: 'postgres://x' })).toThrow(
      /PLATFORM_PROCESSES: per-service needs DATABASE_URL, REDIS_URL and NATS_URL/,
    );
    expect(() => platformProcesses({ PLATFORM_PROCESSES: 'two', REDIS_URL: 'redis://x', NATS_URL: 'nats://x' })).toThrow(
      /PLATFORM_PROCESSES: two needs DATABASE_URL, REDIS_URL and NATS_URL/,
    );
    expect(() => platformProcesses({ ...external, PLATFORM_PROCESSES: 'threads' })).toThrow(
      /PLATFORM_PROCESSES: must be "one", "two" or "per-service"/,
    );
  });
});

const SUBGRAPHS = ['auth', 'catalog', 'orders', 'relationship-map', 'users', 'workouts'];

describe.each([
  { layout: 'per-service', processCount: 7, killed: 'relationship-map', exitReported: 'relationship-map' },
  { layout: 'two', processCount: 2, killed: 'users', exitReported: SUBGRAPHS_PROCESS },
] as const)('a platform of PLATFORM_PROCESSES=$layout', ({ layout, processCount, killed, exitReported }) => {
  const database = `procs_${randomBytes(4).toString('hex')}`;
  const namespace = `procs${randomBytes(4).toString('hex')}`;
  const base = testEnv();
  let admin: pg.Client;
  let redis: PrivateRedis;
  let platform: LaunchedPlatform;
  const exited: string[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: base.DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${database}`);
    redis = await startPrivateRedis();
    platform = await launchPlatform({
      env: {
        ...base,
        DATABASE_URL: base.DATABASE_URL.replace(/\/[^/]*$/, `/${database}`),
        REDIS_URL: redis.url,
        NATS_NAMESPACE: namespace,
        ADMIN_USERNAME: testAdmin.username,
        ADMIN_PASSWORD: testAdmin.password,
        PLATFORM_PROCESSES: layout,
      },
      ports: FREE_PORTS,
      onServiceExit: (name) => exited.push(name),
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
    await deleteNamespaceStreams(base.NATS_URL, namespace);
    await redis?.server.dispose();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  it('runs the services in its processes and answers a query across subgraphs', async () => {
    expect(platform.processes).toBe(layout);
    const pids = [...new Set(Object.values(platform.pids))];
    expect(Object.keys(platform.pids).sort()).toEqual([...SUBGRAPHS, 'gateway'].sort());
    expect(pids).toHaveLength(processCount);
    expect(pids).not.toContain(process.pid);
    // The gateway always in a process of its own; in `two`, every subgraph in one other.
    expect(SUBGRAPHS.map((name) => platform.pids[name])).not.toContain(platform.pids.gateway);
    if (layout === 'two') expect(new Set(SUBGRAPHS.map((name) => platform.pids[name])).size).toBe(1);
    // Each with the services' Node flags, as the containers run them.
    for (const pid of pids) {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(args.slice(1, 1 + SERVICE_NODE_FLAGS.length)).toEqual([...SERVICE_NODE_FLAGS]);
    }

    const post = async (query: string, variables?: unknown, token?: string) => {
      const res = await fetch(platform.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: unknown[] };
    };
    const login = await post('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', {
      i: { usernameOrEmail: testAdmin.username, password: testAdmin.password },
    });
    expect(login.errors).toBeUndefined();
    const me = await post('{ me { username profile { locale } } products(limit: 1) { id } }', undefined, login.data.login.accessToken);
    expect(me.errors).toBeUndefined();
    expect(me.data.me.username).toBe(testAdmin.username);
    // Each subgraph answers on its own address too.
    for (const name of SUBGRAPHS) expect((await fetch(`${platform.urls[name]}/healthz`)).status).toBe(200);
  });

  it('says which process stopped on its own, and closes the others without leaving a process behind', async () => {
    const pids = { ...platform.pids };
    process.kill(pids[killed], 'SIGKILL');
    await expect.poll(() => exited, { timeout: 10_000 }).toEqual([exitReported]);
    await platform.close();
    for (const pid of Object.values(pids)) expect(alive(pid)).toBe(false);
  });
});

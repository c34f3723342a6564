/**
 * Issue #11, infrastructure: what APQ may store (through the gateway), and what docker compose
 * runs (through `docker compose config`): Redis and NATS with credentials that every service's
 * URLs carry, Redis with a memory bound that never evicts security state, services listening on
 * the container's interface.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsConnectOptions } from '@app/events';
import { commonEnv, loadConfig } from '@app/platform';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gatewayUrl, registerAndLogin, type TestUser } from './support/client.js';

const repoRoot = join(import.meta.dirname, '..');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

// ---------------------------------------------------------------------------------------------

describe('automatic persisted queries: what is stored', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await registerAndLogin('apqlim');
  });

  async function post(body: unknown) {
    const res = await fetch(gatewayUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${user.accessToken}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
  }
  const codes = (res: { body: { errors?: { extensions?: { code?: string } }[] } }) =>
    (res.body.errors ?? []).map((e) => e.extensions?.code);

  /** A valid document of exactly `bytes` bytes (a comment pads it: comments are not tokens). */
  const documentOf = (bytes: number) => {
    const head = `# ${randomBytes(8).toString('hex')} `;
    const tail = '\n{ __typename }';
    return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
  };

  async function registerThenAsk(query: string) {
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };
    const registered = await post({ query, extensions: { persistedQuery } });
    const asked = await post({ extensions: { persistedQuery } });
    return { registered, asked };
  }

  it('a document over 16 KiB runs, but its hash is never stored', async () => {
    const { registered, asked } = await registerThenAsk(documentOf(16 * 1024 + 1));
    expect(registered.status).toBe(200);
    expect(registered.body).toEqual({ data: { __typename: 'Query' } });
    expect(codes(asked)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('a document of 16 KiB is stored and answered by its hash', async () => {
    const { asked } = await registerThenAsk(documentOf(16 * 1024));
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual({ data: { __typename: 'Query' } });
  });

  it.each([
    ['does not validate against the schema', '{ noSuchField }'],
    ['is too deep', `{ __type(name: "User") { fields { type { ${'ofType { '.repeat(12)}name${' }'.repeat(12)} } } } }`],
    ['does not parse', '{ __typename'],
  ])('a document that %s is not stored', async (_what, query) => {
    const { registered, asked } = await registerThenAsk(query);
    expect(registered.body.errors?.length).toBeGreaterThan(0);
    expect(codes(asked)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });
});

// ---------------------------------------------------------------------------------------------

/** `docker compose config` (v1 or v2): the file as docker would run it, without an engine. */
function composeConfig(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } | null {
  // An empty env file: a developer's own .env must not change what is checked.
  const envFile = join(mkdtempSync(join(tmpdir(), 'compose-')), 'empty.env');
  writeFileSync(envFile, '');
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(REDIS_|NATS_|ADMIN_|SIGNING_KEY_)/.test(k))) as Record<
    string,
    string
  >;
  for (const [command, args] of [
    ['docker-compose', ['--env-file', envFile, 'config']],
    ['docker', ['compose', '--env-file', envFile, 'config']],
  ] as const) {
    const result = spawnSync(command, args, { cwd: repoRoot, env: { ...base, ...env }, encoding: 'utf8', timeout: 30_000 });
    // A docker CLI without the compose plugin reads `compose` as an unknown command or its flag as unknown.
    if (result.error || /unknown command|is not a docker command|unknown flag: --env-file/i.test(result.stderr)) continue;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }
  return null;
}

/** The required secrets besides the ones a test looks at (auth's key encryption key). */
const otherSecrets = { SIGNING_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
const composeAvailable = composeConfig({ REDIS_PASSWORD: 'x', NATS_PASSWORD: 'y', ...otherSecrets }) !== null;

describe.skipIf(!composeAvailable)('docker-compose.yml', () => {
  const redisPassword = randomBytes(16).toString('hex');
  const natsPassword = randomBytes(16).toString('hex');
  let services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
  let appServices: [string, Record<string, string>][];

  beforeAll(() => {
    const result = composeConfig({ REDIS_PASSWORD: redisPassword, NATS_PASSWORD: natsPassword, ...otherSecrets })!;
    expect(result.status, result.stderr).toBe(0);
    services = parse(result.stdout).services;
    appServices = Object.entries(services)
      .filter(([, s]) => s.environment?.NODE_ENV === 'production')
      .map(([name, s]) => [name, s.environment!]);
    expect(appServices.map(([name]) => name).sort()).toEqual([
      'auth',
      'catalog',
      'gateway',
      'orders',
      'relationship-map',
      'users',
      'workouts',
    ]);
  });

  /**
   * Runs a broker's start command as its container would (`/bin/sh -c`, with the service's
   * environment), the server replaced by `echo`: what the server would be started with, or why not.
   */
  function start(service: 'redis' | 'nats', env: Record<string, string> = services[service].environment ?? {}) {
    const command = services[service].command![0].replaceAll('$$', '$').replace(/^exec (redis-server|nats-server)/, 'exec echo');
    return spawnSync('/bin/sh', ['-c', command], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  }

  it('prints without the secrets (so it can be checked anywhere), but Redis and NATS refuse to start without their passwords', () => {
    const bare = composeConfig({})!;
    expect(bare.status, bare.stderr).toBe(0);
    const unset: typeof services = parse(bare.stdout).services;
    for (const [service, variable] of [
      ['redis', 'REDIS_PASSWORD'],
      ['nats', 'NATS_PASSWORD'],
    ] as const) {
      const run = start(service, unset[service].environment);
      expect(run.status, service).not.toBe(0);
      expect(run.stderr).toContain(`set ${variable}`);
    }
  });

  it('Redis requires the password and never evicts (a bounded memory that fails writes instead)', () => {
    const run = start('redis');
    expect(run.status, run.stderr).toBe(0);
    const args = run.stdout.trim().split(/\s+/);
    const option = (name: string) => args[args.indexOf(name) + 1];
    expect(option('--requirepass')).toBe(redisPassword);
    expect(option('--maxmemory')).toMatch(/^\d+(mb|gb)$/);
    expect(option('--maxmemory-policy')).toBe('noeviction');
    // Its health check authenticates too.
    expect(services.redis.environment?.REDISCLI_AUTH).toBe(redisPassword);
  });

  it('NATS requires a user and password', () => {
    const run = start('nats');
    expect(run.status, run.stderr).toBe(0);
    const args = run.stdout.trim().split(/\s+/);
    expect(args[args.indexOf('--user') + 1]).toBe('platform');
    expect(args[args.indexOf('--pass') + 1]).toBe(natsPassword);
  });

  it("every service's REDIS_URL and NATS_URL carry the credentials, and the services accept them", () => {
    for (const [name, env] of appServices) {
      expect(env.REDIS_URL, name).toBe(`redis://:${redisPassword}@redis:6379`);
      expect(env.NATS_URL, name).toBe(`nats://platform:${natsPassword}@nats:4222`);
      const config = loadConfig(commonEnv, env);
      expect(new URL(config.REDIS_URL!).password).toBe(redisPassword);
      expect(natsConnectOptions(config.NATS_URL!)).toEqual({ servers: ['nats://nats:4222'], user: 'platform', pass: natsPassword });
    }
  });

  it('services listen on the container interface (HOST=0.0.0.0): the default is loopback', () => {
    for (const [name, env] of appServices) expect(env.HOST, name).toBe('0.0.0.0');
    expect(loadConfig(commonEnv, {}).HOST).toBe('127.0.0.1');
    // The image sets it too, for a container started without compose.
    expect(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')).toMatch(/^ENV .*\bHOST=0\.0\.0\.0\b/m);
  });
});

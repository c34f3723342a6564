/**
 * The whole platform in this test process (like `npm start` with real services), pointed at
 * whichever private Redis / NATS / Postgres a fault test gives it; the rest are the machine's.
 * Each run has its own NATS namespace, and (unless given them) its own database and its own
 * redis-server, removed at close: the services share Redis keys such as `jwks:cache` and the
 * revocation revision, and this platform's auth signs with keys of its own, which must not replace
 * the suite's (nor its revocations count as the suite's) in the machine's Redis.
 */
import { randomBytes } from 'node:crypto';
import { NatsEventBus } from '@app/events';
import pg from 'pg';
import { FREE_PORTS, type RunningPlatform, startPlatform } from '../../../scripts/platform.js';
import { gql } from '../client.js';
import { testAdmin, testEnv } from '../env.js';
import { startPrivateRedis } from './private-redis.js';

export interface FaultPlatform extends RunningPlatform {
  env: Record<string, string>;
  gatewayBase: string;
}

export async function startFaultPlatform(overrides: Record<string, string> = {}): Promise<FaultPlatform> {
  const namespace = `f${randomBytes(5).toString('hex')}`;
  const env: Record<string, string> = {
    ...testEnv(),
    NATS_NAMESPACE: namespace,
    ADMIN_USERNAME: testAdmin.username,
    ADMIN_PASSWORD: testAdmin.password,
    ...overrides,
  };
  // The redis-server first: if the database cannot be made, the server is killed with this process (a database would stay).
  const ownRedis = overrides.REDIS_URL ? undefined : await startPrivateRedis();
  if (ownRedis) env.REDIS_URL = ownRedis.url;
  // A database of its own on the shared server unless the test brings one: every service's
  // outbox relay would otherwise share the suite's tables and publish the suite's rows into this
  // platform's namespace (where no one hears them), and the other way round.
  const ownDatabase = overrides.DATABASE_URL ? undefined : await createDatabase(env.DATABASE_URL, `fault_${namespace}`);
  if (ownDatabase) env.DATABASE_URL = ownDatabase.url;
  let platform: RunningPlatform;
  try {
    platform = await startPlatform({ env, ports: FREE_PORTS, dataDir: null });
  } catch (err) {
    await ownDatabase?.drop();
    await ownRedis?.server.dispose();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= closeOnce());
  const closeOnce = async () => {
    await platform.close();
    const bus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE }).catch(() => null);
    await bus?.deleteNamespaceStreams().catch(() => {});
    await bus?.close();
    await ownDatabase?.drop();
    await ownRedis?.server.dispose();
  };
  return { ...platform, env, gatewayBase: platform.urls.gateway, close };
}

/** Creates `name` on the server of `serverUrl`; `drop()` removes it, connections and all. */
async function createDatabase(serverUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}

export interface FaultUser {
  id: string;
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers and logs in a fresh user on `platform`'s gateway (the support helpers use the suite's). */
export async function registerOn(platform: { gatewayBase: string }, prefix: string): Promise<FaultUser> {
  const username = `${prefix}_${randomBytes(5).toString('hex')}`;
  const password = `pw-${randomBytes(6).toString('hex')}-9`;
  const url = `${platform.gatewayBase}/graphql`;
  const reg = await gql(
    'mutation($i: RegisterInput!) { register(input: $i) { id } }',
    { i: { username, email: `${username}@example.com`, password } },
    { url },
  );
  if (!reg.body.data?.register) throw new Error(`register failed: ${JSON.stringify(reg.body)}`);
  const login = await gql(
    'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }',
    { i: { usernameOrEmail: username, password } },
    { url },
  );
  if (!login.body.data?.login) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return { id: reg.body.data.register.id, username, password, ...login.body.data.login };
}

/**
 * "No replica serves the old profile": a second users replica runs in this test process (same
 * database schema, Redis and NATS namespace as the platform's), keeping profiles in its own
 * memory for 300 s. A write through the gateway (replica 1) must reach it through the
 * `cache.profile.invalidated` broadcast; a control experiment that holds the broadcasts back
 * shows that it is the broadcast, and nothing else, that makes replica 2 fresh.
 */
import { type EventEnvelope, NatsEventBus, Subjects, type Subscription } from '@app/events';
import { createLogger, RedisCache } from '@app/platform';
import { buildUsersService, loadUsersConfig, type UsersService } from '@app/users';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, expectNoLeaks, gql, type RequestOptions, registerAndLogin, type TestUser } from './support/client.js';
import { GatedBus } from './support/gated-bus.js';

const ME = `query Me { me { id profile { firstName lastName locale } lastLoginAt } }`;
const UPDATE = `mutation Update($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`;
const ENTITY = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { profile { firstName } } } }`;

type Invalidation = EventEnvelope<typeof Subjects.CacheProfileInvalidated>;

async function call(query: string, variables?: Record<string, unknown>, options?: RequestOptions) {
  const result = await gql(query, variables, options);
  expectNoLeaks(result);
  expect(result.body.errors, JSON.stringify(result.body)).toBeUndefined();
  return result;
}

let realBus: NatsEventBus;
let gated: GatedBus<typeof Subjects.CacheProfileInvalidated>;
let cache: RedisCache;
let replica: UsersService;
let replicaUrl: string;
let observer: Subscription;
const observed: Invalidation[] = [];

beforeAll(async () => {
  const env = inject('env');
  const config = loadUsersConfig({
    ...env,
    AUTH_JWKS_URL: `${inject('urls').auth}/.well-known/jwks.json`,
    PROFILE_LOCAL_TTL: '300',
    PORT: '0',
  });
  realBus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
  gated = new GatedBus(realBus, Subjects.CacheProfileInvalidated, (event) => [event.data.userId]);
  cache = RedisCache.connect(env.REDIS_URL);
  replica = await buildUsersService({
    config,
    databaseUrl: env.DATABASE_URL,
    infrastructure: { cache, bus: gated.bus },
    logger: createLogger('users-replica-2', env.LOG_LEVEL),
  });
  replicaUrl = `http://127.0.0.1:${await replica.listen(0, '127.0.0.1')}/graphql`;
  // What every replica hears: the test listens on the same fan-out subject.
  observer = await realBus.onBroadcast(Subjects.CacheProfileInvalidated, async (event) => void observed.push(event));
});

afterAll(async () => {
  await gated?.release();
  await replica?.close();
  await observer?.unsubscribe();
  await realBus?.close();
  await cache?.close();
});

const readMe = async (user: TestUser) => (await call(ME, {}, { token: user.accessToken })).body.data!.me;
const viaGateway = async (user: TestUser) => (await readMe(user)).profile.firstName as string | null;
/** Replica 2 answers the gateway's entity fetch for the user, with the user's own token. */
const viaReplica2 = async (user: TestUser) =>
  (await call(ENTITY, { representations: [{ __typename: 'User', id: user.id }] }, { url: replicaUrl, token: user.accessToken })).body.data!
    ._entities[0].profile.firstName as string | null;
const update = (user: TestUser, input: Record<string, unknown>, url?: string) => call(UPDATE, { input }, { token: user.accessToken, url });

/** A user whose login event has been handled (so no later invalidation for them is in flight). */
async function settledUser(prefix: string) {
  const user = await registerAndLogin(prefix);
  await eventually(async () => (await readMe(user)).lastLoginAt);
  return user;
}

describe('profile cache across replicas', () => {
  it('the second replica is a working users service', async () => {
    const health = await fetch(replicaUrl.replace('/graphql', '/health'));
    expect(health.status).toBe(200);
    const user = await settledUser('replica');
    expect(await viaReplica2(user)).toBeNull();
  });

  it('no replica serves the old profile after an update through the gateway', async () => {
    const user = await settledUser('fresh');
    for (let i = 0; i < 6; i++) {
      const before = `Before${i}`;
      const after = `After${i}`;
      await update(user, { firstName: before });
      // Warm replica 2's own copy (300 s) and the shared entry.
      await eventually(async () => (await viaReplica2(user)) === before);
      expect(await viaReplica2(user)).toBe(before);

      const seen = observed.length;
      await update(user, { firstName: after }); // replica 1
      expect(await viaGateway(user)).toBe(after); // read-your-writes on the replica that wrote
      await eventually(async () => (await viaReplica2(user)) === after);
      // The writer announced it to every replica.
      expect(observed.slice(seen).some((e) => e.data.userId === user.id)).toBe(true);
      // And once fresh, replica 2 stays fresh.
      expect(await viaReplica2(user)).toBe(after);
    }
  });

  it('without the broadcast replica 2 keeps its copy: the invalidation is what makes it fresh', async () => {
    const user = await settledUser('control');
    const sent = Date.now();
    await update(user, { firstName: 'One' });
    await gated.quiet(user.id, sent);
    await eventually(async () => (await viaReplica2(user)) === 'One');

    gated.paused = true;
    try {
      await update(user, { firstName: 'Two' });
      expect(await viaGateway(user)).toBe('Two');
      // The invalidation was sent, and replica 2 has it waiting, unapplied.
      await eventually(async () => gated.held.some((h) => h.event.data.userId === user.id));
      await eventually(async () => observed.some((e) => e.data.userId === user.id));
      // The shared entry is fresh (the gateway read above refilled it with "Two"), the database is
      // fresh, yet replica 2 answers from its own memory: the old value.
      const shared = await cache.get(`profile:${user.id}`);
      expect(shared === null || JSON.parse(shared).profile.firstName === 'Two').toBe(true);
      expect(await viaReplica2(user)).toBe('One');
      expect(await viaReplica2(user)).toBe('One');
    } finally {
      await gated.release();
    }
    // The held invalidation arrives: replica 2 drops its copy and reads the new profile.
    expect(await viaReplica2(user)).toBe('Two');
  });

  it('an update through replica 2 reaches replica 1 (behind the gateway) too', async () => {
    const user = await settledUser('reverse');
    await update(user, { firstName: 'Start' });
    expect(await viaGateway(user)).toBe('Start'); // replica 1 keeps a copy now

    const res = await update(user, { firstName: 'FromReplica2', lastName: 'Two' }, replicaUrl);
    expect(res.body.data!.updateProfile.id).toBe(user.id);
    expect(await viaReplica2(user)).toBe('FromReplica2');
    await eventually(async () => (await viaGateway(user)) === 'FromReplica2');
    expect((await readMe(user)).profile).toEqual({ firstName: 'FromReplica2', lastName: 'Two', locale: 'ja-JP' });
  });
});

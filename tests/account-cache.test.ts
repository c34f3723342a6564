/**
 * What auth's User type shows of an account is cached (AccountStore: Redis, and each replica's
 * memory): an erased account must be gone from every replica, not only the one that erased it.
 * A second auth replica runs in this test process on the platform's database, Redis and NATS
 * namespace; it competes for `users.user.deleted` with the platform's own auth, so either one
 * may erase, and both must stop showing the account.
 */
import { type AuthService, buildAuthService, loadAuthConfig } from '@app/auth';
import { createLogger } from '@app/platform';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, eventually, loginAdmin, platformEnv, registerAndLogin } from './support/client.js';

const ENTITY = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id username createdAt } } }`;
const DELETE_ME = `mutation DeleteMe { deleteMe { id } }`;
const STATUS = `query Status($id: ID!) { deletionStatus(id: $id) { completedAt } }`;

let replica: AuthService;
let replicaUrl: string;
let adminToken: string;

beforeAll(async () => {
  const env = platformEnv();
  replica = await buildAuthService({
    config: loadAuthConfig({ ...env, PORT: '0' }),
    databaseUrl: env.DATABASE_URL,
    logger: createLogger('auth-replica-2', env.LOG_LEVEL),
  });
  replicaUrl = `http://127.0.0.1:${await replica.listen(0, '127.0.0.1')}/graphql`;
  adminToken = (await loginAdmin()).accessToken;
});

afterAll(async () => {
  await replica?.close();
});

/** What an auth service (the platform's or the replica) answers for the account, as the admin. */
async function shown(url: string, userId: string) {
  const result = await call(ENTITY, { representations: [{ __typename: 'User', id: userId }] }, { url, token: adminToken });
  expect(result.body.errors, JSON.stringify(result.body)).toBeUndefined();
  return result.body.data!._entities[0] as { id: string; username: string; createdAt: string } | null;
}

describe('the cached view of accounts', () => {
  it('answers the same from the cache as from the database, the date included', async () => {
    const user = await registerAndLogin('acct');
    const platformAuth = `${inject('urls').auth}/graphql`;
    const first = await shown(replicaUrl, user.id);
    expect(first).toEqual({ id: user.id, username: user.username, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    // Now from the replica's memory, and from the shared cache on the platform's auth.
    expect(await shown(replicaUrl, user.id)).toEqual(first);
    expect(await shown(platformAuth, user.id)).toEqual(first);
  });

  it('an id with no account is not remembered: an account is seen once it exists', async () => {
    const user = await registerAndLogin('acct');
    expect(await shown(replicaUrl, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect((await shown(replicaUrl, user.id))?.username).toBe(user.username);
  });

  it('an erased account is gone from every auth replica, whichever erased it', async () => {
    const user = await registerAndLogin('acct');
    const platformAuth = `${inject('urls').auth}/graphql`;
    // Both replicas hold the account in memory now.
    expect((await shown(replicaUrl, user.id))?.username).toBe(user.username);
    expect((await shown(platformAuth, user.id))?.username).toBe(user.username);

    const request = await call(DELETE_ME, {}, { token: user.accessToken });
    const requestId = request.body.data!.deleteMe.id as string;
    await eventually(
      async () => (await call(STATUS, { id: requestId }, { token: adminToken })).body.data?.deletionStatus?.completedAt,
      20_000,
    );

    // Neither replica shows the account any more, well within the copies' lifetimes (30 s in
    // memory, 300 s in Redis): the erasure's invalidation reached both. (The outbox relay may
    // announce the erasure a moment before the invalidation's broadcast is out: hence 2 s.)
    await eventually(async () => (await shown(replicaUrl, user.id)) === null, 2_000);
    await eventually(async () => (await shown(platformAuth, user.id)) === null, 2_000);
  });
});

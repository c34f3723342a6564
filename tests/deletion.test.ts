/**
 * Account deletion (GDPR, `deleteMe`): every service erases the user on `users.user.deleted`,
 * the request's progress is queryable, and the erasure is idempotent under redelivery.
 * Behaviour is driven through the gateway and NATS; Postgres, Redis and JetStream are only read
 * to prove what is (not) stored and that the services have handled the events.
 */
import { randomUUID } from 'node:crypto';
import { consumerNameFor, type DurableSubject, NatsEventBus, Subjects } from '@app/events';
import { RedisCache } from '@app/platform';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  call,
  eventually,
  type GraphQLResult,
  LOGIN,
  loginAs,
  REGISTER,
  registerAndLogin,
  type TestUser,
  unique,
} from './support/client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DELETE_ME = `mutation DeleteMe { deleteMe { id userId requestedAt completedAt pendingServices } }`;
const STATUS = `query Status($id: ID!) { deletionStatus(id: $id) { id userId requestedAt completedAt pendingServices } }`;
const ME = `query Me { me { id username profile { firstName lastName displayName pictureUrl locale } lastLoginAt } }`;
const UPDATE = `mutation Update($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`;
const REFRESH = `mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { accessToken } }`;

interface DeletionStatus {
  id: string;
  userId: string;
  requestedAt: string;
  completedAt: string | null;
  pendingServices: string[];
}

function expectCode(result: GraphQLResult, code: string) {
  expect(result.body.errors, JSON.stringify(result.body)).toBeDefined();
  expect(result.body.errors![0].extensions?.code, JSON.stringify(result.body)).toBe(code);
}

let db: pg.Pool;
let redis: RedisCache;
let bus: NatsEventBus;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  const env = inject('env');
  db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
  redis = RedisCache.connect(env.REDIS_URL);
  bus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
  nc = await connect({ servers: env.NATS_URL });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await bus?.close();
  await nc?.close();
  await db?.end();
  await redis?.close();
});

const rows = async (sql: string, params: unknown[]) => (await db.query(sql, params)).rows;
const profileRows = (userId: string) => rows('select * from users.profiles where user_id = $1', [userId]);
const authUserRows = (userId: string) => rows('select id from auth.users where id = $1', [userId]);
const refreshTokenRows = (userId: string) => rows('select id from auth.refresh_tokens where user_id = $1', [userId]);
const deletionRows = (userId: string) => rows('select * from users.deletion_requests where user_id = $1 order by requested_at', [userId]);

const readMe = async (user: { accessToken: string }) => {
  const res = await call(ME, {}, { token: user.accessToken });
  expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
  return res.body.data!.me;
};

/** A user whose login event has been handled, so nothing about them is still in flight. */
async function settledUser(prefix: string): Promise<TestUser> {
  const user = await registerAndLogin(prefix);
  await eventually(async () => (await readMe(user)).lastLoginAt);
  return user;
}

/** deletionStatus needs no token: the request id is the capability. */
async function status(id: string): Promise<DeletionStatus | null> {
  const res = await call(STATUS, { id });
  expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
  return res.body.data!.deletionStatus;
}

async function deleteMe(user: TestUser): Promise<DeletionStatus> {
  const res = await call(DELETE_ME, {}, { token: user.accessToken });
  expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
  return res.body.data!.deleteMe;
}

async function deleteAndWait(user: TestUser): Promise<DeletionStatus> {
  const request = await deleteMe(user);
  return eventually(async () => {
    const s = await status(request.id);
    return s?.completedAt ? s : null;
  }, 20_000);
}

/**
 * True once a service's durable consumer has handled (acked) everything published on its subject
 * so far: nothing left to deliver, nothing delivered and unacknowledged.
 */
async function consumerIdle(durable: string, subject: DurableSubject) {
  const info = await jsm.consumers.info(bus.eventsStream, consumerNameFor(durable, subject));
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

/** Every dead letter stored in this run's namespace. */
async function deadLetters(): Promise<string[]> {
  const info = await jsm.streams.info(bus.deadLetterStream);
  const out: string[] = [];
  if (info.state.messages === 0) return out;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    try {
      const message = await jsm.streams.getMessage(bus.deadLetterStream, { seq });
      if (message) out.push(message.string());
    } catch {
      /* deleted message */
    }
  }
  return out;
}

const login = (usernameOrEmail: string, password: string) => call(LOGIN, { input: { usernameOrEmail, password } });

describe('deleteMe', () => {
  it('erases the account everywhere; the progress is queryable; the username is free again', async () => {
    const user = await settledUser('del');
    const bystander = await settledUser('bystander');
    await call(UPDATE, { input: { firstName: 'Bystander' } }, { token: bystander.accessToken });
    await call(UPDATE, { input: { firstName: 'ToBeErased', lastName: 'Soon' } }, { token: user.accessToken });
    expect((await readMe(user)).profile.firstName).toBe('ToBeErased'); // also fills profile:{id}

    const before = Date.now();
    const request = await deleteMe(user);
    expect(request.id).toMatch(UUID);
    expect(request.userId).toBe(user.id);
    expect(new Date(request.requestedAt).toISOString()).toBe(request.requestedAt);
    expect(Date.parse(request.requestedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(request.completedAt).toBeNull();
    expect(request.pendingServices).toEqual(expect.arrayContaining(['auth', 'users']));

    const done = await eventually(async () => {
      const s = await status(request.id);
      return s?.completedAt ? s : null;
    }, 20_000);
    expect(done).toMatchObject({ id: request.id, userId: user.id, requestedAt: request.requestedAt, pendingServices: [] });
    expect(Date.parse(done.completedAt!)).toBeGreaterThanOrEqual(Date.parse(request.requestedAt));

    // The account's tokens are refused, at the gateway and at the subgraph itself.
    const me = await call(ME, {}, { token: user.accessToken });
    expectCode(me, 'UNAUTHENTICATED');
    expect(me.body.data?.me ?? null).toBeNull();
    const direct = await call(ME, {}, { token: user.accessToken, url: `${inject('urls').users}/graphql` });
    expectCode(direct, 'UNAUTHENTICATED');
    expectCode(await call(REFRESH, { token: user.refreshToken }), 'UNAUTHENTICATED');

    // Logging in fails exactly like it does for an account that never existed.
    const gone = await login(user.username, user.password);
    const ghost = await login(unique('ghost'), user.password);
    expectCode(gone, 'UNAUTHENTICATED');
    expect(gone.body.errors![0].message).toBe(ghost.body.errors![0].message);
    expect(gone.body.errors![0].extensions?.code).toBe(ghost.body.errors![0].extensions?.code);
    expectCode(await login(user.email, user.password), 'UNAUTHENTICATED');

    // Nothing of the user is left in any store.
    expect(await profileRows(user.id)).toEqual([]);
    expect(await authUserRows(user.id)).toEqual([]);
    expect(await refreshTokenRows(user.id)).toEqual([]);
    expect(await redis.get(`profile:${user.id}`)).toBeNull();
    const requests = await deletionRows(user.id);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ id: request.id, pending_services: [] });
    expect(requests[0].completed_at).not.toBeNull();

    // Nobody else was touched.
    expect((await readMe(bystander)).profile.firstName).toBe('Bystander');

    // The username and email can be registered again: a new account, with a fresh profile.
    const reg = await call(REGISTER, { input: { username: user.username, email: user.email, password: user.password } });
    expect(reg.body.errors, JSON.stringify(reg.body)).toBeUndefined();
    const newId = reg.body.data!.register.id;
    expect(newId).not.toBe(user.id);
    const { accessToken } = await loginAs(user.username, user.password);
    const again = await readMe({ accessToken });
    expect(again).toMatchObject({
      id: newId,
      username: user.username,
      profile: { firstName: null, lastName: null, displayName: null, pictureUrl: null, locale: 'ja-JP' },
    });
    // The old request still reports the old account.
    expect(await status(request.id)).toEqual(done);
  });

  it('called twice at once, returns one request', async () => {
    const user = await settledUser('twice');
    const [a, b, c] = await Promise.all([deleteMe(user), deleteMe(user), deleteMe(user)]);
    expect(b.id).toBe(a.id);
    expect(c.id).toBe(a.id);
    expect(await deletionRows(user.id)).toHaveLength(1);
    const done = await eventually(async () => {
      const s = await status(a.id);
      return s?.completedAt ? s : null;
    }, 20_000);
    expect(done.pendingServices).toEqual([]);
    expect(await deletionRows(user.id)).toHaveLength(1);
  });

  it('a second call while the first is pending returns the same request', async () => {
    const user = await settledUser('again');
    const first = await deleteMe(user);
    const second = await call(DELETE_ME, {}, { token: user.accessToken });
    // Either the erasure is still running (same request) or it has already finished (token refused).
    if (second.body.errors) expectCode(second, 'UNAUTHENTICATED');
    else expect(second.body.data!.deleteMe.id).toBe(first.id);
    await eventually(async () => (await status(first.id))?.completedAt, 20_000);
    expect(await deletionRows(user.id)).toHaveLength(1);
  });

  it('is UNAUTHENTICATED for an anonymous caller', async () => {
    const res = await call(DELETE_ME);
    expectCode(res, 'UNAUTHENTICATED');
    expect(res.body.data ?? null).toBeNull();
  });

  it('deletionStatus of an unknown or malformed id is null', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '', "'; drop table users.deletion_requests; --", '0'.repeat(5000)]) {
      expect(await status(id), id.slice(0, 40)).toBeNull();
    }
    // A signed-in caller gets null just the same.
    const user = await registerAndLogin('statusq');
    const res = await call(STATUS, { id: randomUUID() }, { token: user.accessToken });
    expect(res.body).toMatchObject({ data: { deletionStatus: null } });
    expect(res.body.errors).toBeUndefined();
  });
});

describe('redelivered and late events', () => {
  it('a users.user.deleted delivered again changes nothing and breaks nothing', async () => {
    const user = await settledUser('redeliver');
    const done = await deleteAndWait(user);
    const requestsBefore = await deletionRows(user.id);
    // Someone takes the username meanwhile: the replayed event must not touch them.
    const reg = await call(REGISTER, { input: { username: user.username, email: user.email, password: user.password } });
    expect(reg.body.errors, JSON.stringify(reg.body)).toBeUndefined();
    const successor = await loginAs(user.username, user.password);
    expect(successor.user.id).not.toBe(user.id);
    await eventually(async () => (await readMe(successor)).lastLoginAt);
    await call(UPDATE, { input: { firstName: 'Successor' } }, { token: successor.accessToken });

    for (let i = 0; i < 2; i++) {
      await bus.publish(
        Subjects.UsersUserDeleted,
        { userId: user.id, requestedAt: new Date().toISOString() },
        { msgId: `test-redelivery:${randomUUID()}` },
      );
    }
    await eventually(
      async () =>
        (await consumerIdle('users-user-deleted', Subjects.UsersUserDeleted)) &&
        (await consumerIdle('auth-user-deleted', Subjects.UsersUserDeleted)),
      20_000,
    );

    expect(await status(done.id)).toEqual(done);
    expect(await deletionRows(user.id)).toEqual(requestsBefore);
    expect(await profileRows(user.id)).toEqual([]);
    expect(await authUserRows(user.id)).toEqual([]);
    expect((await deadLetters()).filter((d) => d.includes(user.id))).toEqual([]);
    expect((await readMe(successor)).profile.firstName).toBe('Successor');
    expectCode(await call(ME, {}, { token: user.accessToken }), 'UNAUTHENTICATED');
  });

  it('a late login or registration event does not bring an erased profile back', async () => {
    const user = await settledUser('late');
    const done = await deleteAndWait(user);
    expect(await profileRows(user.id)).toEqual([]);

    const now = new Date().toISOString();
    await bus.publish(Subjects.AuthUserLoggedIn, { userId: user.id, at: now }, { msgId: `test-late-login:${randomUUID()}` });
    await bus.publish(
      Subjects.AuthUserRegistered,
      { userId: user.id, username: user.username, email: user.email, occurredAt: now },
      { msgId: `test-late-registered:${randomUUID()}` },
    );
    await eventually(
      async () =>
        (await consumerIdle('users-user-logged-in', Subjects.AuthUserLoggedIn)) &&
        (await consumerIdle('users-user-registered', Subjects.AuthUserRegistered)),
      20_000,
    );

    expect(await profileRows(user.id)).toEqual([]);
    expect(await status(done.id)).toEqual(done);
    expect((await deadLetters()).filter((d) => d.includes(user.id))).toEqual([]);
  });
});

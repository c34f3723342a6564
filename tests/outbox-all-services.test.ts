/**
 * Issue 12, "nothing lost": every service publishes through a transactional outbox. With NATS
 * killed under a running platform (a private nats-server), registering, logging in and out, an
 * admin's product updates and deleteMe still succeed: each change is committed with its event in
 * the service's `outbox` table, unsent. Once NATS is back every row is published, in order, once,
 * and the other services act on them: the users service learns of the registration and the login,
 * the orders read model gets the product's last price, and the deletion is erased everywhere
 * (each service confirming through its own outbox).
 *
 * The platform has a database of its own (and a Redis of its own): on the suite's database the
 * suite's services, relaying the same `outbox` tables to the suite's NATS, would publish this
 * platform's rows where its services never hear them.
 */
import { randomBytes } from 'node:crypto';
import { type EventEnvelope, NatsEventBus, Subjects } from '@app/events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, type GraphQLResult, gql } from './support/client.js';
import { testAdmin } from './support/env.js';
import { type FaultPlatform, type FaultUser, registerOn, startFaultPlatform } from './support/faults/in-process-platform.js';
import { type PrivateNats, type PrivateRedis, startPrivateNats, startPrivateRedis } from './support/faults/index.js';

const SCHEMAS = ['auth', 'users', 'workouts', 'catalog', 'orders', 'relationship_map'] as const;

const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { id } }';
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }';
const LOGOUT = 'mutation($r: String) { logout(refreshToken: $r) }';
const CREATE_PRODUCT = 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id name price } }';
const UPDATE_PRODUCT = 'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id name price stockQuantity } }';
const DELETE_ME = 'mutation { deleteMe { id } }';

let nats: PrivateNats;
let redis: PrivateRedis;
let platform: FaultPlatform;
let db: pg.Pool;
let server: pg.Pool;
let adminToken: string;
const database = `outbox_${randomBytes(5).toString('hex')}`;

/** An answer within this long: the outbox makes a write independent of the bus. */
const ANSWER_WITHIN_MS = 3_000;

async function ask(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResult> {
  const started = Date.now();
  const result = await gql(query, variables, { url: `${platform.gatewayBase}/graphql`, ...(token ? { token } : {}) });
  expect(Date.now() - started, `${query} took too long`).toBeLessThan(ANSWER_WITHIN_MS);
  return result;
}

function succeeded<T = any>(result: GraphQLResult, field: string): T {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  expect(result.body.errors, JSON.stringify(result.body)).toBeUndefined();
  return result.body.data![field] as T;
}

interface OutboxRow {
  schema: string;
  seq: number;
  msg_id: string | null;
  subject: string;
  payload: Record<string, any>;
  broadcast_subject: string | null;
  sent_at: Date | null;
  attempts: number;
}

async function outboxRows(): Promise<OutboxRow[]> {
  const rows: OutboxRow[] = [];
  for (const schema of SCHEMAS) {
    const { rows: found } = await db.query(
      `select seq::int as seq, msg_id, subject, payload, broadcast_subject, sent_at, attempts from "${schema}".outbox order by seq`,
    );
    rows.push(...found.map((r) => ({ schema, ...r })));
  }
  return rows;
}

const one = async <T>(sql: string, params: unknown[]): Promise<T | undefined> => (await db.query(sql, params)).rows[0];

beforeAll(async () => {
  [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
  const url = new URL(inject('env').DATABASE_URL);
  server = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await server.query(`create database "${database}"`);
  url.pathname = `/${database}`;
  db = new pg.Pool({ connectionString: url.toString(), max: 2 });
  platform = await startFaultPlatform({
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    DATABASE_URL: url.toString(),
    OUTBOX_POLL_INTERVAL: '0.2',
  });
  adminToken = succeeded(
    await ask(LOGIN, { i: { usernameOrEmail: testAdmin.username, password: testAdmin.password } }),
    'login',
  ).accessToken;
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await db?.end();
  await nats?.dispose();
  await redis?.server.dispose();
  await server?.query(`drop database if exists "${database}" with (force)`);
  await server?.end();
});

describe('every service publishes through its outbox', () => {
  it('with NATS down, writes succeed and their events wait in the outboxes; once NATS is back each is published once, in order, and acted on', async () => {
    // Before the outage: a product the orders read model knows, and an account whose profile exists.
    const product = succeeded(
      await ask(
        CREATE_PRODUCT,
        { i: { name: `Outbox lamp ${randomBytes(3).toString('hex')}`, price: '10', stockQuantity: 5 } },
        adminToken,
      ),
      'createProduct',
    );
    await eventually(
      async () =>
        (await one<{ price: string }>('select price::text as price from orders.products where id = $1', [product.id]))?.price === '10.0000',
      15_000,
      100,
    );
    const leaving: FaultUser = await registerOn(platform, 'outboxdel');
    await eventually(
      async () => !!(await one('select 1 from users.profiles where user_id = $1 and last_login_at is not null', [leaving.id])),
      15_000,
      100,
    );
    await eventually(async () => (await outboxRows()).every((r) => r.sent_at), 15_000, 100);
    const before = new Set((await outboxRows()).map((r) => `${r.schema}:${r.seq}`));

    await nats.server.kill();

    // Registration, login and logout: answered at once, as with the bus up.
    const username = `outbox_${randomBytes(5).toString('hex')}`;
    const password = `pw-${randomBytes(6).toString('hex')}-9`;
    const userId = succeeded<{ id: string }>(
      await ask(REGISTER, { i: { username, email: `${username}@example.com`, password } }),
      'register',
    ).id;
    const session = succeeded<{ accessToken: string; refreshToken: string }>(
      await ask(LOGIN, { i: { usernameOrEmail: username, password } }),
      'login',
    );
    expect(succeeded(await ask(LOGOUT, { r: session.refreshToken }, session.accessToken), 'logout')).toBe(true);

    // Two product updates (the second one wins in the read model) and a stock change.
    expect(succeeded(await ask(UPDATE_PRODUCT, { i: { id: product.id, price: '20' } }, adminToken), 'updateProduct')).toMatchObject({
      price: 20,
    });
    expect(
      succeeded(await ask(UPDATE_PRODUCT, { i: { id: product.id, price: '30', stockQuantity: 7 } }, adminToken), 'updateProduct'),
    ).toMatchObject({
      price: 30,
      stockQuantity: 7,
    });

    // The account deletion is accepted.
    const deletion = succeeded<{ id: string }>(await ask(DELETE_ME, undefined, leaving.accessToken), 'deleteMe');
    expect(deletion.id).toBeTruthy();

    // Every event is in its service's outbox, committed and unsent.
    const waiting = (await outboxRows()).filter((r) => !before.has(`${r.schema}:${r.seq}`));
    const find = (schema: string, subject: string, match: (r: OutboxRow) => boolean = () => true) =>
      waiting.filter((r) => r.schema === schema && r.subject === subject && match(r));
    expect(find('auth', Subjects.AuthUserRegistered).map((r) => r.msg_id)).toEqual([`registered:${userId}`]);
    expect(find('auth', Subjects.AuthUserLoggedIn, (r) => r.payload.userId === userId)).toHaveLength(1);
    expect(find('catalog', Subjects.CatalogProductUpserted, (r) => r.payload.productId === product.id).map((r) => r.payload.price)).toEqual(
      ['20', '30'],
    );
    expect(
      find('catalog', Subjects.CatalogStockChanged, (r) => r.payload.productId === product.id).map((r) => r.payload.newQuantity),
    ).toEqual([7]);
    // live.stock.updated rides on that row (published right after it), not a row of its own.
    expect(
      find('catalog', Subjects.CatalogStockChanged, (r) => r.payload.productId === product.id).map((r) => r.broadcast_subject),
    ).toEqual([Subjects.LiveStockUpdated]);
    expect(find('catalog', Subjects.LiveStockUpdated)).toEqual([]);
    expect(find('users', Subjects.UsersUserDeleted, (r) => r.payload.userId === leaving.id)).toHaveLength(1);
    expect(waiting.filter((r) => r.sent_at)).toEqual([]);
    // Nothing was acted on: the users service has not heard of the account.
    expect(await one('select 1 from users.profiles where user_id = $1', [userId])).toBeUndefined();

    await nats.server.start();

    // Every row goes out, in each outbox's order.
    const sent = await eventually(
      async () => {
        const rows = await outboxRows();
        return rows.every((r) => r.sent_at) && rows;
      },
      30_000,
      200,
    );
    // `sent_at` is when a row was marked sent: the relay marks a batch right after publishing it, a
    // direct publish (once NATS is back) is marked with those of the next 50 ms (MARK_DELAY_MS in
    // committed-publisher.ts), later under load. So the marks follow each outbox's order up to that
    // delay (a full suite run once saw two users rows marked 37 ms out of their order);
    // the order the events reached the stream is checked strictly below.
    const MARK_SLACK_MS = 1_000;
    for (const schema of SCHEMAS) {
      const times = sent.filter((r) => r.schema === schema).map((r) => r.sent_at!.getTime());
      const inversions = times.flatMap((t, i) => times.slice(i + 1).filter((later) => later + MARK_SLACK_MS < t));
      expect(inversions, `${schema} outbox marked out of order beyond the mark delay`).toEqual([]);
    }

    // ... and is acted on: the users service learned of the registration and the login,
    await eventually(
      async () => !!(await one('select 1 from users.profiles where user_id = $1 and last_login_at is not null', [userId])),
      20_000,
      100,
    );
    // the orders read model has the last price,
    await eventually(
      async () =>
        (await one<{ price: string }>('select price::text as price from orders.products where id = $1', [product.id]))?.price === '30.0000',
      20_000,
      100,
    );
    // and every service erased the deleted account and said so through its own outbox.
    await eventually(
      async () => !!(await one('select 1 from users.deletion_requests where id = $1 and completed_at is not null', [deletion.id])),
      30_000,
      200,
    );
    expect(await one('select 1 from auth.users where id = $1', [leaving.id])).toBeUndefined();
    const erasures = (await outboxRows()).filter((r) => r.subject === Subjects.UsersUserErased && r.payload.userId === leaving.id);
    expect(new Set(erasures.map((r) => r.schema))).toEqual(new Set(['auth', 'users', 'workouts', 'orders', 'relationship_map']));

    // Once each in the stream, in the order written (envelope id = the outbox row's message id).
    const bus = await NatsEventBus.connect({ url: nats.url, namespace: platform.env.NATS_NAMESPACE });
    const registered: EventEnvelope<typeof Subjects.AuthUserRegistered>[] = [];
    const upserted: EventEnvelope<typeof Subjects.CatalogProductUpserted>[] = [];
    const subscriptions = await Promise.all([
      bus.subscribe(Subjects.AuthUserRegistered, async (e) => void registered.push(e), {
        durable: `t-outbox-registered-${randomBytes(3).toString('hex')}`,
        startAt: 'stored',
        serial: true,
      }),
      bus.subscribe(Subjects.CatalogProductUpserted, async (e) => void upserted.push(e), {
        durable: `t-outbox-upserted-${randomBytes(3).toString('hex')}`,
        startAt: 'stored',
        serial: true,
      }),
    ]);
    try {
      const ofProduct = () => upserted.filter((e) => e.data.productId === product.id);
      await eventually(async () => registered.some((e) => e.data.userId === userId) && ofProduct().length >= 3, 10_000, 50);
      await new Promise((r) => setTimeout(r, 500)); // any copy would have come by now
      expect(registered.filter((e) => e.data.userId === userId).map((e) => e.id)).toEqual([`registered:${userId}`]);
      expect(ofProduct().map((e) => e.data.price)).toEqual(['10', '20', '30']);
    } finally {
      await Promise.all(subscriptions.map((s) => s.unsubscribe()));
      await bus.close();
    }
  }, 120_000);
});

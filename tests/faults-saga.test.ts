/**
 * The order saga (orders <-> catalog over JetStream) under crashes, on the platform run as
 * separate processes (tests/support/faults/process-platform.ts: a private nats-server and Redis,
 * database schemas of its own): NATS killed in the middle of a burst of orders, then each service
 * process killed (SIGKILL) while sagas are in flight and started again on its port.
 *
 * What must hold afterwards, read through the public surface (GraphQL through the gateway) and
 * in the databases and the broker:
 * - every order is terminal: CONFIRMED (saga COMPLETED) or CANCELLED (saga FAILED), and a crash
 *   cost no order: every order the stock could fill is CONFIRMED, the others are CANCELLED for
 *   "Insufficient stock" (never a step timeout);
 * - each product's stock moved by exactly the confirmed quantities (GraphQL and the catalog table);
 * - no order moved twice: one transition per step (the order's version and its
 *   `orders.order.updated` events), one reserve and at most one commit command per order, handled
 *   once by the catalog (its inbox), one inventory row per order with committed lines for exactly
 *   the confirmed ones;
 * - nothing is left unprocessed: every outbox row sent, every JetStream consumer of the namespace
 *   with nothing pending or unacknowledged, the dead-letter stream empty.
 */
import { randomBytes } from 'node:crypto';
import { Subjects } from '@app/events';
import { outboxMessagesQuery } from '@app/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, gql } from './support/client.js';
import { testAdmin } from './support/env.js';
import { type ProcessPlatform, type ServiceName, startProcessPlatform } from './support/faults/process-platform.js';
import { createProduct, type OrderResult, placeOrder, stockOf, untilOrdersKnow, untilStatus } from './support/orders.js';

const TERMINAL = ['CONFIRMED', 'CANCELLED'];
/**
 * A saga waits up to SAGA_STEP_TIMEOUT for a reply; a message a dead process held unacknowledged
 * comes back after JetStream's ack wait (30 s). Settling may take that long, not much more.
 */
const SETTLE_MS = 75_000;
const STEP_TIMEOUT_S = 60;

interface User {
  id: string;
  token: string;
}
interface Line {
  productId: string;
  quantity: number;
}
interface Placed {
  id: string;
  user: User;
  items: Line[];
  /** Asks for the scarce product (may be refused for stock). */
  scarce: boolean;
}
interface Product {
  id: string;
  initial: number;
  /** Stock for fewer orders than ask for it: some of them must be refused. */
  scarce: boolean;
}

let platform: ProcessPlatform;
let admin: string;
let users: User[];
const gw = () => ({ url: platform.gatewayUrl });
const schema = (name: 'orders' | 'catalog') => `"${platform.schemas[name]}"`;

async function register(prefix: string): Promise<User> {
  const username = `${prefix}_${randomBytes(5).toString('hex')}`;
  const password = `pw-${randomBytes(6).toString('hex')}-9`;
  const reg = await gql(
    'mutation($i: RegisterInput!) { register(input: $i) { id } }',
    { i: { username, email: `${username}@example.com`, password } },
    gw(),
  );
  if (!reg.body.data?.register) throw new Error(`register failed: ${JSON.stringify(reg.body)}`);
  return { id: reg.body.data.register.id, token: await login(username, password) };
}

async function login(usernameOrEmail: string, password: string): Promise<string> {
  const res = await gql('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { usernameOrEmail, password } }, gw());
  if (!res.body.data?.login) throw new Error(`login failed: ${JSON.stringify(res.body)}`);
  return res.body.data.login.accessToken;
}

async function products(specs: { price: number; stock: number; scarce?: boolean }[]): Promise<Product[]> {
  const made = await Promise.all(
    specs.map((s) =>
      createProduct(admin, { price: s.price, stockQuantity: s.stock, name: `fault-saga ${randomBytes(4).toString('hex')}` }, gw()),
    ),
  );
  await untilOrdersKnow(
    users[0].token,
    made.map((p) => p.id),
    gw(),
  );
  return made.map((p, i) => ({ id: p.id, initial: specs[i].stock, scarce: !!specs[i].scarce }));
}

async function place(user: User, items: Line[], scarce: boolean): Promise<Placed> {
  const order = await placeOrder(user.token, items, gw());
  return { id: order.id, user, items, scarce };
}

/** Orders of `ids` not yet terminal in the orders database (what a crash leaves in flight). */
async function unfinished(ids: string[]): Promise<number> {
  const [row] = await platform.query<{ n: number }>(
    `select count(*)::int as n from ${schema('orders')}.orders o join ${schema('orders')}.sagas s on s.order_id = o.id
      where o.id = any($1) and (o.status not in ('CONFIRMED', 'CANCELLED') or s.status not in ('COMPLETED', 'FAILED') or s.deadline_at is not null)`,
    [ids],
  );
  return row.n;
}

/** The sagas of `ids` that have not ended, for failure messages. */
async function stuck(ids: string[]) {
  return platform.query(
    `select o.id, o.status, o.version, s.state, s.status as saga_status, s.current_step, s.completed_steps, s.failure_reason, s.deadline_at
       from ${schema('orders')}.orders o join ${schema('orders')}.sagas s on s.order_id = o.id
      where o.id = any($1) and (o.status not in ('CONFIRMED', 'CANCELLED') or s.status not in ('COMPLETED', 'FAILED') or s.deadline_at is not null)`,
    [ids],
  );
}

async function untilSettled(placed: Placed[], label: string): Promise<void> {
  const ids = placed.map((p) => p.id);
  try {
    await eventually(async () => (await unfinished(ids)) === 0, SETTLE_MS, 250);
  } catch {
    const js = await platform.jetStream().catch((err) => String(err));
    throw new Error(
      `${label}: sagas did not settle within ${SETTLE_MS} ms: ${JSON.stringify(await stuck(ids))}\nJetStream: ${JSON.stringify(js)}`,
    );
  }
}

const sum = (lines: Line[], productId: string) => lines.filter((l) => l.productId === productId).reduce((n, l) => n + l.quantity, 0);

/**
 * Every invariant of the file's header, for the orders `placed` over `productsUsed` (fresh
 * products: only these orders touched them).
 */
async function expectConsistent(placed: Placed[], productsUsed: Product[], label: string): Promise<void> {
  const ids = placed.map((p) => p.id);

  // Through the gateway: every order terminal, its saga ended; no order lost to a timeout.
  const finals = new Map<string, OrderResult>();
  for (const p of placed) finals.set(p.id, await untilStatus(p.user.token, p.id, TERMINAL, { ...gw(), timeoutMs: 10_000 }));
  const confirmed = placed.filter((p) => finals.get(p.id)!.status === 'CONFIRMED');
  for (const p of placed) {
    const o = finals.get(p.id)!;
    expect(TERMINAL, `${label}: order ${p.id} status`).toContain(o.status);
    if (o.status === 'CONFIRMED') {
      expect(o.sagaState, `${label}: order ${p.id}`).toMatchObject({
        status: 'COMPLETED',
        state: 'completed',
        currentStep: null,
        completedSteps: ['reserve_inventory', 'process_payment', 'confirm_order'],
      });
    } else {
      // Only the stock may refuse an order: a crash must delay it, never cancel it.
      expect(p.scarce, `${label}: order ${p.id} (enough stock) was cancelled: ${o.sagaState?.failureReason}`).toBe(true);
      expect(o.sagaState, `${label}: order ${p.id}`).toMatchObject({
        status: 'FAILED',
        state: 'failed',
        currentStep: null,
        completedSteps: [],
      });
      expect(o.sagaState!.failureReason, `${label}: order ${p.id}`).toMatch(/Insufficient stock/);
    }
  }
  // The scarce product went to as many orders as it could fill, no more, no fewer.
  for (const product of productsUsed.filter((p) => p.scarce)) {
    const wanting = placed.filter((p) => sum(p.items, product.id) > 0);
    const filled = confirmed.filter((p) => sum(p.items, product.id) > 0);
    expect(filled.length, `${label}: orders of the scarce product confirmed`).toBe(Math.min(wanting.length, product.initial));
  }

  // Stock moved by exactly the confirmed quantities: GraphQL and the catalog's table.
  for (const product of productsUsed) {
    const expected = product.initial - confirmed.reduce((n, p) => n + sum(p.items, product.id), 0);
    expect(await stockOf(product.id, gw()), `${label}: stock of ${product.id} (GraphQL)`).toBe(expected);
    const [row] = await platform.query<{ stock_quantity: number }>(
      `select stock_quantity from ${schema('catalog')}.products where id = $1`,
      [product.id],
    );
    expect(row.stock_quantity, `${label}: stock of ${product.id} (catalog table)`).toBe(expected);
  }

  // The orders database: one transition per step, and the commands and events they wrote.
  const orderRows = await platform.query<{ id: string; status: string; version: number }>(
    `select id, status, version from ${schema('orders')}.orders where id = any($1)`,
    [ids],
  );
  const outbox = await platform.query<{ order_id: string; subject: string; status: string | null; n: number }>(
    `select payload->>'orderId' as order_id, subject, payload->>'status' as status, count(*)::int as n
       from ${outboxMessagesQuery(`${schema('orders')}.outbox`)} m where payload->>'orderId' = any($1) and kind = 'durable' group by 1, 2, 3`,
    [ids],
  );
  const count = (id: string, subject: string, status?: string) =>
    outbox
      .filter((r) => r.order_id === id && r.subject === subject && (status === undefined || r.status === status))
      .reduce((n, r) => n + r.n, 0);
  expect(orderRows).toHaveLength(placed.length);
  for (const row of orderRows) {
    const ok = row.status === 'CONFIRMED';
    // started, payment, confirming, confirmed | started, cancelled (the reserve refused).
    expect(row.version, `${label}: transitions of order ${row.id} (${row.status})`).toBe(ok ? 4 : 2);
    expect(count(row.id, Subjects.OrdersOrderUpdated), `${label}: orders.order.updated of ${row.id}`).toBe(row.version);
    expect(count(row.id, Subjects.OrdersOrderUpdated, 'CONFIRMED'), `${label}: confirmations of ${row.id}`).toBe(ok ? 1 : 0);
    expect(count(row.id, Subjects.CatalogInventoryReserve), `${label}: reserve commands of ${row.id}`).toBe(1);
    expect(count(row.id, Subjects.CatalogInventoryCommit), `${label}: commit commands of ${row.id}`).toBe(ok ? 1 : 0);
    expect(count(row.id, Subjects.CatalogInventoryRelease), `${label}: release commands of ${row.id}`).toBe(0);
  }

  // Every message handled (the commit is one-way: a confirmed order does not wait for it).
  await expectNothingPending(label);

  // The catalog database: one inventory row per order, lines committed for exactly the confirmed
  // orders, and each command handled once (its inbox).
  const inventory = await platform.query<{ order_id: string; state: string }>(
    `select order_id, state from ${schema('catalog')}.inventory_orders where order_id = any($1)`,
    [ids],
  );
  const lines = await platform.query<{ order_id: string; product_id: string; quantity: number; state: string }>(
    `select order_id, product_id, quantity, state from ${schema('catalog')}.inventory_reservations where order_id = any($1)`,
    [ids],
  );
  // A command's inbox id is its envelope id: its outbox message's message id, else its id.
  const handled = await platform.query<{ order_id: string; subject: string; n: number }>(
    `select o.payload->>'orderId' as order_id, i.subject, count(*)::int as n
       from ${schema('catalog')}.inbox_messages i
       join ${outboxMessagesQuery(`${schema('orders')}.outbox`)} o on coalesce(o.msg_id, o.id) = i.id
      where o.payload->>'orderId' = any($1) group by 1, 2`,
    [ids],
  );
  const handledCount = (id: string, subject: string) => handled.find((h) => h.order_id === id && h.subject === subject)?.n ?? 0;
  expect(inventory).toHaveLength(placed.length);
  for (const p of placed) {
    const ok = finals.get(p.id)!.status === 'CONFIRMED';
    expect(inventory.find((r) => r.order_id === p.id)?.state, `${label}: inventory state of ${p.id}`).toBe(ok ? 'committed' : 'failed');
    const mine = lines.filter((l) => l.order_id === p.id);
    const wanted = [...new Set(p.items.map((l) => l.productId))].map((productId) => ({
      product_id: productId,
      quantity: sum(p.items, productId),
      state: 'committed',
    }));
    const byProduct = (a: { product_id: string }, b: { product_id: string }) => a.product_id.localeCompare(b.product_id);
    expect(
      mine.map(({ product_id, quantity, state }) => ({ product_id, quantity, state })).sort(byProduct),
      `${label}: reserved lines of ${p.id}`,
    ).toEqual(ok ? wanted.sort(byProduct) : []);
    expect(handledCount(p.id, Subjects.CatalogInventoryReserve), `${label}: reserves handled for ${p.id}`).toBe(1);
    expect(handledCount(p.id, Subjects.CatalogInventoryCommit), `${label}: commits handled for ${p.id}`).toBe(ok ? 1 : 0);
    expect(handledCount(p.id, Subjects.CatalogInventoryRelease), `${label}: releases handled for ${p.id}`).toBe(0);
  }
}

/** Rows not yet published in the outbox of every service that has one (orders' at least). */
async function unsentOutboxRows(): Promise<Record<string, number>> {
  const tables = await platform.query<{ table_schema: string }>(
    `select table_schema from information_schema.tables where table_name = 'outbox' and table_schema = any($1)`,
    [Object.values(platform.schemas)],
  );
  expect(tables.map((t) => t.table_schema)).toContain(platform.schemas.orders);
  const unsent: Record<string, number> = {};
  for (const { table_schema } of tables) {
    const [row] = await platform.query<{ n: number }>(`select count(*)::int as n from "${table_schema}".outbox where sent_at is null`);
    unsent[table_schema] = row.n;
  }
  return unsent;
}

/** Every outbox row sent; every consumer of the namespace caught up and acknowledged; no dead letter. */
async function expectNothingPending(label: string): Promise<void> {
  let last: unknown;
  try {
    await eventually(
      async () => {
        const unsent = await unsentOutboxRows();
        const js = await platform.jetStream();
        last = { unsent, ...js, consumers: js.consumers.filter((c) => c.num_pending || c.num_ack_pending) };
        return Object.values(unsent).every((n) => n === 0) && js.consumers.every((c) => c.num_pending === 0 && c.num_ack_pending === 0);
      },
      60_000,
      250,
    );
  } catch {
    throw new Error(`${label}: messages left unprocessed: ${JSON.stringify(last)}`);
  }
  const js = await platform.jetStream();
  expect(js.consumers.length, `${label}: the services' durable consumers`).toBeGreaterThan(10);
  expect(js.deadLetters, `${label}: dead letters`).toBe(0);
}

beforeAll(async () => {
  platform = await startProcessPlatform({ env: { SAGA_STEP_TIMEOUT: String(STEP_TIMEOUT_S), SAGA_SWEEP_INTERVAL: '0.5' } });
  admin = await login(testAdmin.username, testAdmin.password);
  users = await Promise.all(Array.from({ length: 4 }, (_, i) => register(`fsaga${i}`)));
}, 240_000);

afterAll(async () => {
  await platform?.close();
}, 60_000);

describe('the order saga across crashes (every service a process of its own)', () => {
  it('NATS killed in the middle of a burst of 20 orders, then restarted with its store: every order settles, stock exact, nothing confirmed twice, nothing left pending', async () => {
    await platform.startStopped();
    const [plenty, more, scarce] = await products([
      { price: 5, stock: 100 },
      { price: 7.5, stock: 100 },
      { price: 3, stock: 3, scarce: true },
    ]);
    // 20 orders of 4 users: 5 want one of the 3 scarce units (2 of them must be refused).
    const plan = Array.from({ length: 20 }, (_, i) => {
      const items: Line[] =
        i % 4 === 0
          ? [{ productId: scarce.id, quantity: 1 }, ...(i % 8 === 0 ? [{ productId: plenty.id, quantity: 2 }] : [])]
          : [{ productId: plenty.id, quantity: 1 + (i % 3) }, ...(i % 2 ? [{ productId: more.id, quantity: 1 + (i % 5) }] : [])];
      return { user: users[i % users.length], items, scarce: i % 4 === 0 };
    });

    const placed: Placed[] = [];
    let killing: Promise<void> | undefined;
    let inFlightAtKill = -1;
    let killedAt = 0;
    // Four clients placing orders at once; NATS dies after the 8th order and the rest are placed during the outage.
    // The catalog is frozen until then, so the first orders' reserve commands are certainly still
    // unanswered in the stream when NATS dies (it reserves in milliseconds: it could finish them
    // all before the kill); it carries on during the outage, disconnected like every service.
    const catalog = platform.services.catalog;
    catalog.freeze();
    const lanes = [0, 1, 2, 3].map((lane) => plan.filter((_, i) => i % 4 === lane));
    try {
      await Promise.all(
        lanes.map(async (lane) => {
          for (const step of lane) {
            placed.push(await place(step.user, step.items, step.scarce));
            if (placed.length === 8) {
              killing = platform.nats.server.kill().then(async () => {
                killedAt = Date.now();
                inFlightAtKill = await unfinished(placed.map((p) => p.id));
                catalog.thaw();
              });
              await killing;
            }
          }
        }),
      );
      await killing;
    } finally {
      catalog.thaw();
    }
    expect(platform.nats.server.running).toBe(false);
    // The commands of the orders placed during the outage wait in the outbox.
    const [waiting] = await platform.query<{ n: number }>(
      `select count(*)::int as n from ${outboxMessagesQuery(`${schema('orders')}.outbox`)} m where sent_at is null and subject = $1`,
      [Subjects.CatalogInventoryReserve],
    );
    expect(waiting.n, 'reserve commands waiting in the outbox during the outage').toBeGreaterThan(0);
    expect(inFlightAtKill, 'sagas in flight when NATS died').toBeGreaterThan(0);
    const outage = Date.now() - killedAt;
    if (outage < 3_000) await new Promise((r) => setTimeout(r, 3_000 - outage));
    await platform.nats.server.start();

    await untilSettled(placed, 'NATS outage');
    await expectConsistent(placed, [plenty, more, scarce], 'NATS outage');
  }, 180_000);

  /**
   * One wave: fresh products, six orders placed at once (two of the three asking for the scarce
   * product can be filled), then the service's process killed (SIGKILL) as soon as createOrder
   * has answered, and started again on its port (ready: /healthz and /health).
   */
  async function killMidSaga(name: ServiceName) {
    const label = `${name} killed`;
    await platform.startStopped();
    const [plenty, scarce] = await products([
      { price: 4, stock: 100 },
      { price: 2, stock: 2, scarce: true },
    ]);
    const plan: { user: User; items: Line[]; scarce: boolean }[] = [
      { user: users[0], items: [{ productId: plenty.id, quantity: 3 }], scarce: false },
      { user: users[1], items: [{ productId: scarce.id, quantity: 1 }], scarce: true },
      { user: users[2], items: [{ productId: plenty.id, quantity: 1 }], scarce: false },
      {
        user: users[3],
        items: [
          { productId: scarce.id, quantity: 1 },
          { productId: plenty.id, quantity: 2 },
        ],
        scarce: true,
      },
      { user: users[0], items: [{ productId: plenty.id, quantity: 2 }], scarce: false },
      { user: users[1], items: [{ productId: scarce.id, quantity: 1 }], scarce: true },
    ];
    const service = platform.services[name];
    const pid = service.pid;
    // The catalog reserves in a few milliseconds: it could answer all six before it is killed.
    // Frozen while they are placed, it holds their commands unanswered when it dies, as a crash
    // in the middle of them would (createOrder does not call the catalog).
    if (name === 'catalog') service.freeze();
    const placed = await Promise.all(plan.map((p) => place(p.user, p.items, p.scarce)));
    await service.kill();
    const inFlight = await unfinished(placed.map((p) => p.id));
    await service.start();
    expect(service.pid, `${label}: a new process`).not.toBe(pid);
    // The gateway answers again for every subgraph (its readiness asks each one's).
    if (name !== 'gateway') await eventually(async () => (await fetch(`${platform.gatewayBase}/health`)).ok, 30_000, 200);
    return { label, placed, products: [plenty, scarce], inFlight };
  }

  it('each service process killed (SIGKILL) mid-saga in turn and restarted on its port: every saga resumes and settles, once', async () => {
    // Orders and catalog first: the replies and commands their dead processes held unacknowledged
    // come back after JetStream's ack wait (30 s), while the later waves run.
    const order: ServiceName[] = ['orders', 'catalog', 'auth', 'gateway', 'users', 'workouts', 'relationship-map'];
    const waves = [];
    for (const name of order) waves.push(await killMidSaga(name));
    for (const wave of waves.slice(0, 2)) expect(wave.inFlight, `sagas in flight when ${wave.label}`).toBeGreaterThan(0);
    for (const wave of waves) await untilSettled(wave.placed, wave.label);
    for (const wave of waves) await expectConsistent(wave.placed, wave.products, wave.label);
  }, 300_000);
});

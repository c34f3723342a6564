/**
 * The soak's traffic, every loop bounded by a count and by a deadline:
 *
 * - mixed HTTP: GraphQL (me, products, workouts, createOrder, userOrders) and the REST facade
 *   (/api/me, /api/profile, /api/workouts, /api/exercises, /api/body_metrics), with a share of
 *   errors asked for on purpose (a bad token, an unknown id, invalid input) so error paths soak too;
 * - WebSocket cycles: connect -> connection_init -> subscribe (stockUpdated, or orderUpdated of
 *   the user's own order) -> sometimes wait for an event -> end, in four ways: complete then
 *   close, close without complete, drop the TCP connection, and drop it right after subscribing
 *   (while the server is still setting the subscription up);
 * - stock watchers: long-lived sockets on stockUpdated of the soak's products, fed by the orders;
 * - order watchers: place an order, follow it with orderUpdated, ship and deliver it as the admin,
 *   and wait for the SHIPPED and DELIVERED events.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { HttpClient } from './client.js';
import { LiveSocket, SocketError } from './live-socket.js';
import type { Stats } from './stats.js';

export interface User {
  username: string;
  token: string;
  userId: string;
  /** An order of the user's own, the target of orderUpdated in the WS cycles. */
  orderId: string;
}

export interface Fixtures {
  admin: { token: string };
  users: User[];
  productIds: string[];
  categoryId: string;
}

const Q = {
  register: 'mutation Register($i: RegisterInput!) { register(input: $i) { id } }',
  login: 'mutation Login($i: LoginInput!) { login(input: $i) { accessToken user { id } } }',
  category: 'mutation Cat($i: CreateCategoryInput!) { createCategory(input: $i) { id } }',
  product: 'mutation Prod($i: CreateProductInput!) { createProduct(input: $i) { id } }',
  me: 'query Me { me { id username email profile { locale displayName } } }',
  products: 'query Products($c: ID) { products(categoryId: $c, limit: 20) { id name price stockQuantity category { id name } } }',
  createWorkout: 'mutation CreateWorkout($i: CreateWorkoutInput!) { createWorkout(input: $i) { id startedAt } }',
  workouts: 'query Workouts { workouts(limit: 10) { items { id startedAt endedAt note } total } }',
  createOrder: 'mutation CreateOrder($i: CreateOrderInput!) { createOrder(input: $i) { id status totalAmount } }',
  userOrders:
    'query UserOrders($u: ID!) { userOrders(userId: $u, limit: 5) { id status totalAmount items { quantity product { id name } } user { id username } } }',
  order: 'query Order($id: ID!) { order(id: $id) { id status } }',
  ship: 'mutation Ship($id: ID!) { shipOrder(orderId: $id) { id status } }',
  deliver: 'mutation Deliver($id: ID!) { deliverOrder(orderId: $id) { id status } }',
  stockUpdated: 'subscription Stock($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity updatedAt product { name } } }',
  orderUpdated: 'subscription OrderUpdated($id: ID!) { orderUpdated(orderId: $id) { id status updatedAt } }',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];

/** Runs `task` on `concurrency` workers until `more()` says no; a failed task is already counted, the workers go on. */
export async function pool(concurrency: number, more: () => boolean, task: (worker: number) => Promise<void>): Promise<Error | undefined> {
  let first: Error | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (more()) await task(worker).catch((err) => void (first ??= err));
    }),
  );
  return first;
}

// ---------------------------------------------------------------- fixtures

export async function login(http: HttpClient, usernameOrEmail: string, password: string) {
  const data = await http.gql('setup: login', Q.login, { i: { usernameOrEmail, password } });
  return { token: data.login.accessToken as string, userId: data.login.user.id as string };
}

/** The admin's category and products (stock that never runs out), `count` users registered and logged in, each with one order. */
export async function createFixtures(
  http: HttpClient,
  admin: { username: string; password: string },
  options: { users: number; products: number },
): Promise<Fixtures> {
  const { token } = await login(http, admin.username, admin.password);
  const suffix = randomBytes(3).toString('hex');
  const category = await http.gql('setup: createCategory', Q.category, { i: { name: `Soak ${suffix}` } }, token);
  const productIds: string[] = [];
  for (let i = 0; i < options.products; i++) {
    const p = await http.gql(
      'setup: createProduct',
      Q.product,
      { i: { name: `Soak product ${suffix} ${i}`, price: 2.5 + i, categoryId: category.createCategory.id, stockQuantity: 1_000_000 } },
      token,
    );
    productIds.push(p.createProduct.id);
  }
  const users: Omit<User, 'orderId'>[] = [];
  let next = 0;
  const registering = await pool(
    4,
    () => next < options.users,
    async () => {
      next++;
      const username = `soak_${randomBytes(5).toString('hex')}`;
      const password = `soak-${randomBytes(8).toString('hex')}-1`;
      await http.gql('setup: register', Q.register, { i: { username, email: `${username}@example.com`, password } });
      users.push({ username, ...(await login(http, username, password)) });
    },
  );
  if (users.length < options.users)
    throw new Error(`only ${users.length} of ${options.users} users could register and log in: ${registering?.message}`);
  // The orders service learns products from the catalog's events a moment after they are made.
  const deadline = Date.now() + 30_000;
  for (;;) {
    // An order of quantity 0 is refused either way, with nothing written; whether the refusal
    // names an unknown product is what tells.
    const answer = await http.raw('POST', '/graphql', {
      token: users[0].token,
      body: { query: Q.createOrder, variables: { i: { items: productIds.map((productId) => ({ productId, quantity: 0 })) } } },
    });
    const fields: string[] = (answer.body?.errors?.[0]?.extensions?.validationErrors ?? []).map((e: { field: string }) => e.field);
    if (fields.length && !fields.some((f) => f.endsWith('.productId'))) break;
    if (Date.now() > deadline) throw new Error(`the orders service never learned the soak's products: ${JSON.stringify(answer.body)}`);
    await sleep(200);
  }
  const withOrders: User[] = [];
  next = 0;
  const ordering = await pool(
    4,
    () => next < users.length,
    async () => {
      const user = users[next++];
      const data = await http.gql(
        'setup: createOrder',
        Q.createOrder,
        { i: { items: [{ productId: productIds[0], quantity: 1 }] } },
        user.token,
      );
      withOrders.push({ ...user, orderId: data.createOrder.id });
    },
  );
  if (withOrders.length < users.length)
    throw new Error(`only ${withOrders.length} of ${users.length} users could place an order: ${ordering?.message}`);
  return { admin: { token }, users: withOrders, productIds, categoryId: category.createCategory.id };
}

// ---------------------------------------------------------------- mixed HTTP

type Op = { kind: string; weight: number; run: (http: HttpClient, f: Fixtures, user: User) => Promise<unknown> };

const now = () => new Date().toISOString();

export const OPS: Op[] = [
  { kind: 'gql me', weight: 10, run: (h, _f, u) => h.gql('gql me', Q.me, {}, u.token) },
  { kind: 'gql products (anonymous)', weight: 8, run: (h, f) => h.gql('gql products (anonymous)', Q.products, { c: f.categoryId }) },
  {
    kind: 'gql createWorkout',
    weight: 4,
    run: (h, _f, u) => h.gql('gql createWorkout', Q.createWorkout, { i: { startedAt: now(), note: 'soak' } }, u.token),
  },
  { kind: 'gql workouts', weight: 6, run: (h, _f, u) => h.gql('gql workouts', Q.workouts, {}, u.token) },
  {
    kind: 'gql createOrder',
    weight: 8,
    run: (h, f, u) => h.gql('gql createOrder', Q.createOrder, { i: { items: [{ productId: pick(f.productIds), quantity: 1 }] } }, u.token),
  },
  { kind: 'gql userOrders', weight: 5, run: (h, _f, u) => h.gql('gql userOrders', Q.userOrders, { u: u.userId }, u.token) },
  { kind: 'rest GET /api/me', weight: 8, run: (h, _f, u) => h.rest('rest GET /api/me', 'GET', '/api/me', { token: u.token, ok: 200 }) },
  {
    kind: 'rest GET /api/profile',
    weight: 5,
    run: (h, _f, u) => h.rest('rest GET /api/profile', 'GET', '/api/profile', { token: u.token, ok: 200 }),
  },
  {
    kind: 'rest GET /api/workouts',
    weight: 6,
    run: (h, _f, u) => h.rest('rest GET /api/workouts', 'GET', '/api/workouts?limit=10', { token: u.token, ok: 200 }),
  },
  {
    kind: 'rest POST /api/workouts',
    weight: 3,
    run: (h, _f, u) =>
      h.rest('rest POST /api/workouts', 'POST', '/api/workouts', {
        token: u.token,
        ok: 201,
        body: { startedAt: now(), note: 'soak rest' },
      }),
  },
  {
    kind: 'rest GET /api/exercises',
    weight: 4,
    run: (h, _f, u) => h.rest('rest GET /api/exercises', 'GET', '/api/exercises?limit=10', { token: u.token, ok: 200 }),
  },
  {
    kind: 'rest POST /api/body_metrics',
    weight: 3,
    run: (h, _f, u) =>
      h.rest('rest POST /api/body_metrics', 'POST', '/api/body_metrics', {
        token: u.token,
        ok: 201,
        body: { measuredAt: now(), weightKg: 60 + Math.round(Math.random() * 200) / 10 },
      }),
  },
  {
    kind: 'rest GET /api/body_metrics',
    weight: 4,
    run: (h, _f, u) => h.rest('rest GET /api/body_metrics', 'GET', '/api/body_metrics?limit=10', { token: u.token, ok: 200 }),
  },
  // Errors on purpose: each must come back with its documented code, never anything else.
  {
    kind: 'gql me, bad token (expect UNAUTHENTICATED)',
    weight: 1,
    run: (h) => h.gql('gql me, bad token (expect UNAUTHENTICATED)', Q.me, {}, 'not-a-token', ['UNAUTHENTICATED']),
  },
  {
    kind: 'gql createOrder, quantity 0 (expect VALIDATION_ERROR)',
    weight: 1,
    run: (h, f, u) =>
      h.gql(
        'gql createOrder, quantity 0 (expect VALIDATION_ERROR)',
        Q.createOrder,
        { i: { items: [{ productId: f.productIds[0], quantity: 0 }] } },
        u.token,
        ['VALIDATION_ERROR'],
      ),
  },
  {
    kind: 'rest GET /api/workouts/<unknown>/detail (expect 404)',
    weight: 1,
    run: (h, _f, u) =>
      h.rest('rest GET /api/workouts/<unknown>/detail (expect 404)', 'GET', `/api/workouts/${randomUUID()}/detail`, {
        token: u.token,
        ok: 200,
        expected: [404],
      }),
  },
  {
    kind: 'rest GET /api/me, no token (expect 401)',
    weight: 1,
    run: (h) => h.rest('rest GET /api/me, no token (expect 401)', 'GET', '/api/me', { ok: 200, expected: [401] }),
  },
];
const TOTAL_WEIGHT = OPS.reduce((sum, op) => sum + op.weight, 0);

export function pickOp(): Op {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const op of OPS) if ((r -= op.weight) < 0) return op;
  return OPS[0];
}

// ---------------------------------------------------------------- WebSocket cycles

export type EndMode = 'complete + close' | 'close without complete' | 'TCP drop' | 'TCP drop while subscribing';
const END_MODES: EndMode[] = [
  'complete + close',
  'complete + close',
  'complete + close',
  'complete + close',
  'close without complete',
  'close without complete',
  'close without complete',
  'TCP drop',
  'TCP drop',
  'TCP drop while subscribing',
];

export interface CycleCounters {
  done: number;
  byMode: Record<string, number>;
  bySubscription: Record<string, number>;
  anonymous: number;
  waitedForEvent: number;
  eventsReceived: number;
  waitedNoEvent: number;
}

export const newCycleCounters = (): CycleCounters => ({
  done: 0,
  byMode: {},
  bySubscription: {},
  anonymous: 0,
  waitedForEvent: 0,
  eventsReceived: 0,
  waitedNoEvent: 0,
});

/**
 * One cycle, the `i`th: who connects, what it subscribes to and how it ends follow from `i`, so
 * every combination comes up in any long enough run. Counted under 'ws cycle' in Stats (latency:
 * connect to the end), its connect-to-ack time under 'ws connect + ack'.
 */
export async function wsCycle(i: number, wsUrl: string, fixtures: Fixtures, stats: Stats, counters: CycleCounters) {
  const anonymous = i % 5 === 0;
  const user = fixtures.users[i % fixtures.users.length];
  const field = !anonymous && i % 4 === 1 ? 'orderUpdated' : 'stockUpdated';
  const mode = END_MODES[(i * 7) % END_MODES.length];
  // One cycle in five that ends politely first waits for an event (stock changes with every order).
  const waitForEvent = field === 'stockUpdated' && mode === 'complete + close' && i % 5 === 3;
  const t0 = performance.now();
  let socket: LiveSocket;
  try {
    socket = await LiveSocket.open(wsUrl, anonymous ? undefined : user.token);
  } catch (err) {
    stats.error('ws cycle', err instanceof SocketError ? err.code : 'WS_ERROR', (err as Error).message);
    return;
  }
  stats.ok('ws connect + ack', performance.now() - t0);
  let failed: string | undefined;
  let gotEvent!: () => void;
  const event = new Promise<void>((resolve) => (gotEvent = resolve));
  let events = 0;
  const closedEarly = socket.closed.then(({ code }) => (failed ??= `CLOSE_${code}`));
  socket.subscribe(
    '1',
    field === 'stockUpdated' ? Q.stockUpdated : Q.orderUpdated,
    field === 'stockUpdated' ? { ids: fixtures.productIds } : { id: user.orderId },
    {
      next: (payload) => {
        if (payload.errors?.length) failed ??= String(payload.errors[0]?.extensions?.code ?? 'SUBSCRIPTION_ERROR');
        events++;
        gotEvent();
      },
      error: (errors) => (failed ??= String(errors?.[0]?.extensions?.code ?? 'SUBSCRIPTION_ERROR')),
      complete: () => undefined,
    },
  );
  void closedEarly;
  if (mode === 'TCP drop while subscribing') {
    socket.terminate();
  } else {
    if (waitForEvent) {
      counters.waitedForEvent++;
      await Promise.race([event, sleep(3_000)]);
      if (!events) counters.waitedNoEvent++;
    } else {
      await sleep(Math.random() * 40);
    }
    if (failed) {
      socket.terminate();
      stats.error('ws cycle', failed);
      return;
    }
    if (mode === 'complete + close') {
      socket.complete('1');
      await socket.close();
    } else if (mode === 'close without complete') {
      await socket.close();
    } else {
      socket.terminate();
    }
  }
  counters.eventsReceived += events;
  counters.done++;
  counters.byMode[mode] = (counters.byMode[mode] ?? 0) + 1;
  counters.bySubscription[field] = (counters.bySubscription[field] ?? 0) + 1;
  if (anonymous) counters.anonymous++;
  stats.ok('ws cycle', performance.now() - t0);
}

// ---------------------------------------------------------------- long-lived watchers

export interface StockWatcher {
  events: number;
  errors: number;
  stop(): Promise<void>;
}

/** A socket on stockUpdated of every soak product for as long as the load runs. */
export async function startStockWatcher(wsUrl: string, fixtures: Fixtures, stats: Stats, token?: string): Promise<StockWatcher> {
  const t0 = performance.now();
  const socket = await LiveSocket.open(wsUrl, token);
  stats.ok('ws connect + ack', performance.now() - t0);
  const watcher: StockWatcher = {
    events: 0,
    errors: 0,
    async stop() {
      const open = socket.isOpen;
      if (open) {
        socket.complete('stock');
        await socket.close();
      } else {
        stats.error('stock watcher', 'SOCKET_CLOSED', `closed during the run: ${JSON.stringify(await socket.closed)}`);
      }
    },
  };
  socket.subscribe(
    'stock',
    Q.stockUpdated,
    { ids: fixtures.productIds },
    {
      next: (payload) => {
        if (payload.errors?.length) {
          watcher.errors++;
          stats.error('stock watcher', String(payload.errors[0]?.extensions?.code ?? 'SUBSCRIPTION_ERROR'), JSON.stringify(payload.errors));
        } else watcher.events++;
      },
      error: (errors) => {
        watcher.errors++;
        stats.error('stock watcher', String(errors?.[0]?.extensions?.code ?? 'SUBSCRIPTION_ERROR'), JSON.stringify(errors));
      },
    },
  );
  return watcher;
}

export interface OrderWatchCounters {
  cycles: number;
  events: number;
  statuses: Record<string, number>;
}

/**
 * Places an order as `user` and follows it on orderUpdated over a socket of the user's own; once
 * the saga has CONFIRMED it (read over HTTP), the admin ships and delivers it, and both
 * transitions must arrive on the subscription.
 */
/** Polls the order until CONFIRMED (true), or records why it never got there (false). */
async function confirmed(http: HttpClient, user: User, orderId: string, stats: Stats): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const data = await http.gql('gql order (status poll)', Q.order, { id: orderId }, user.token);
    const status = data?.order?.status;
    if (status === 'CONFIRMED') return true;
    if (status === 'CANCELLED' || Date.now() > deadline) {
      stats.error('order watch', `ORDER_${status ?? 'MISSING'}`, `order ${orderId} never CONFIRMED`);
      return false;
    }
    await sleep(100);
  }
}

export async function orderWatchCycle(
  http: HttpClient,
  wsUrl: string,
  fixtures: Fixtures,
  user: User,
  stats: Stats,
  counters: OrderWatchCounters,
) {
  const t0 = performance.now();
  const placed = await http.gql(
    'gql createOrder',
    Q.createOrder,
    { i: { items: [{ productId: pick(fixtures.productIds), quantity: 1 }] } },
    user.token,
  );
  const orderId = placed.createOrder.id as string;
  let socket: LiveSocket;
  const opening = performance.now();
  try {
    socket = await LiveSocket.open(wsUrl, user.token);
  } catch (err) {
    stats.error('order watch', err instanceof SocketError ? err.code : 'WS_ERROR', (err as Error).message);
    return;
  }
  stats.ok('ws connect + ack', performance.now() - opening);
  try {
    const seen: string[] = [];
    let failed: string | undefined;
    const waiters: (() => void)[] = [];
    socket.subscribe(
      'order',
      Q.orderUpdated,
      { id: orderId },
      {
        next: (payload) => {
          if (payload.errors?.length) failed ??= String(payload.errors[0]?.extensions?.code ?? 'SUBSCRIPTION_ERROR');
          else seen.push(payload.data.orderUpdated.status);
          for (const w of waiters.splice(0)) w();
        },
        error: (errors) => (failed ??= String(errors?.[0]?.extensions?.code ?? 'SUBSCRIPTION_ERROR')),
      },
    );
    const subscribedAt = Date.now();
    const until = async (status: string, ms: number) => {
      const deadline = Date.now() + ms;
      while (!seen.includes(status) && !failed && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return seen.includes(status);
    };
    // The saga may have confirmed the order before the subscription started: read it.
    if (!(await confirmed(http, user, orderId, stats))) return;
    // graphql-ws does not acknowledge a subscribe: give the gateway a moment to follow the events.
    await sleep(Math.max(0, 500 - (Date.now() - subscribedAt)));
    await http.gql('gql shipOrder (admin)', Q.ship, { id: orderId }, fixtures.admin.token);
    const shipped = await until('SHIPPED', 10_000);
    await http.gql('gql deliverOrder (admin)', Q.deliver, { id: orderId }, fixtures.admin.token);
    const delivered = await until('DELIVERED', 10_000);
    if (failed) return stats.error('order watch', failed);
    if (!shipped || !delivered) return stats.error('order watch', 'EVENT_MISSED', `order ${orderId}: saw ${seen.join(',') || 'nothing'}`);
    counters.cycles++;
    counters.events += seen.length;
    for (const s of seen) counters.statuses[s] = (counters.statuses[s] ?? 0) + 1;
    socket.complete('order');
    stats.ok('order watch (place -> DELIVERED event)', performance.now() - t0);
  } finally {
    await socket.close();
  }
}

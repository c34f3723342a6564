/**
 * Catalog and orders benchmarks: the order saga's throughput and createOrder -> CONFIRMED latency,
 * subscription fan-out, and a deep federated query through three gateways over the same subgraphs.
 */
import { randomBytes } from 'node:crypto';
import { type EventBus, Subjects } from '@app/events';
import { createClient } from 'graphql-ws';
import { alternate, graphql, type PlatformProcess, printTable, startChild } from './lib.js';

export const BENCH_ADMIN = { username: 'bench_admin', password: 'bench-admin-password-1' };

interface Session {
  token: string;
  userId: string;
}

async function login(url: string, usernameOrEmail: string, password: string): Promise<Session> {
  const { login } = await graphql(url, 'mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }', {
    i: { usernameOrEmail, password },
  });
  return { token: login.accessToken, userId: login.user.id };
}

async function newUser(url: string): Promise<Session> {
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const password = `bench-${randomBytes(6).toString('hex')}-1`;
  await graphql(url, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', {
    i: { username, email: `${username}@example.com`, password },
  });
  return login(url, username, password);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round1 = (n: number) => Math.round(n * 10) / 10;

/** Products with plenty of stock (so no order is short) in a category of their own. */
async function seedProducts(url: string, admin: Session, count: number, stockQuantity: number) {
  const suffix = randomBytes(3).toString('hex');
  const { createCategory } = await graphql(
    url,
    'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }',
    { i: { name: `Bench ${suffix}` } },
    admin.token,
  );
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { createProduct } = await graphql(
      url,
      'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }',
      { i: { name: `Bench product ${suffix} ${i}`, price: 1.25 + i, categoryId: createCategory.id, stockQuantity } },
      admin.token,
    );
    ids.push(createProduct.id);
  }
  return ids;
}

/**
 * Orders learn products from the catalog's events (a read model), a moment after they are
 * created (longer right after a start, while the catalog re-announces every product): retries
 * one order for all of `productIds` until it is accepted.
 */
async function untilOrderable(url: string, token: string, productIds: string[]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await graphql(url, CREATE_ORDER, { i: { items: productIds.map((productId) => ({ productId, quantity: 1 })) } }, token);
      return;
    } catch (err) {
      if (Date.now() > deadline || !/does not exist/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const CREATE_ORDER = 'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status } }';
const ORDER_STATUS = 'query($id: ID!) { order(id: $id) { status sagaState { failureReason } } }';

/**
 * Orders placed at a fixed concurrency; each is timed from the createOrder request to its
 * CONFIRMED transition, heard on the `live.order.updated` fan-out when the bench has the
 * platform's NATS (no polling load on the gateway), else read back every 20 ms.
 */
export async function benchSaga(platform: PlatformProcess, options: { orders: number; concurrency: number; bus?: EventBus }) {
  const url = platform.gatewayUrl;
  const admin = await login(url, BENCH_ADMIN.username, BENCH_ADMIN.password);
  const products = await seedProducts(url, admin, 3, 1_000_000);
  const user = await newUser(url);
  await untilOrderable(url, user.token, products);
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  // Final statuses heard on the bus, by order id (an order may end before createOrder answers).
  const ended = new Map<string, string>();
  const waiting = new Map<string, () => void>();
  const listener = await options.bus?.onBroadcast(Subjects.LiveOrderUpdated, async (event) => {
    if (event.data.status !== 'CONFIRMED' && event.data.status !== 'CANCELLED') return;
    ended.set(event.data.orderId, event.data.status);
    waiting.get(event.data.orderId)?.();
  });
  const finalStatus = async (orderId: string): Promise<string> => {
    if (options.bus) {
      if (!ended.has(orderId)) await new Promise<void>((resolve) => waiting.set(orderId, resolve));
      return ended.get(orderId)!;
    }
    for (;;) {
      const { order } = await graphql(url, ORDER_STATUS, { id: orderId }, user.token);
      if (order.status === 'CONFIRMED' || order.status === 'CANCELLED') return order.status;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const placeOne = async () => {
    const i = next++;
    const t0 = performance.now();
    const items = [
      { productId: products[i % products.length], quantity: 1 },
      { productId: products[(i + 1) % products.length], quantity: 2 },
    ];
    const { createOrder } = await graphql(url, CREATE_ORDER, { i: { items } }, user.token);
    if ((await finalStatus(createOrder.id)) === 'CANCELLED') failed++;
    else latencies.push(performance.now() - t0);
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.orders) await placeOne();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await listener?.unsubscribe();
  latencies.sort((a, b) => a - b);
  const rows = [
    {
      scenario: `${options.orders} orders of 2 lines, ${options.concurrency} in flight${options.bus ? '' : ' (status polled)'}`,
      'orders/s': round1(latencies.length / seconds),
      'p50 ms': Math.round(percentile(latencies, 50)),
      'p99 ms': Math.round(percentile(latencies, 99)),
      confirmed: latencies.length,
      cancelled: failed,
    },
  ];
  printTable('Order saga: createOrder -> CONFIRMED (reserve_inventory, process_payment, confirm_order)', rows);
  return rows;
}

/**
 * N graphql-ws subscribers on `stockUpdated` of one product (each resolving `product { name }`
 * through the supergraph); M stock changes, one after the other once every subscriber has the
 * previous one. Latency: from sending the stock-changing mutation to each delivery. Subscribers
 * who are the same user (or anonymous) share one resolution per event; `distinctUsers` gives
 * every subscriber an account of its own, so nothing is shared.
 */
/** One fan-out result: deliveries, their rate and latency percentiles. */
function fanoutRow(options: { subscribers: number; events: number; distinctUsers: boolean }, latencies: number[], seconds: number) {
  latencies.sort((a, b) => a - b);
  return {
    scenario: `${options.subscribers} subscribers (${options.distinctUsers ? 'each its own user' : 'one user'}) x ${options.events} stock changes`,
    deliveries: latencies.length,
    'deliveries/s': Math.round(latencies.length / seconds),
    'p50 ms': Math.round(percentile(latencies, 50)),
    'p99 ms': Math.round(percentile(latencies, 99)),
    'max ms': Math.round(latencies[latencies.length - 1] ?? 0),
  };
}

export async function benchFanout(platform: PlatformProcess, options: { subscribers: number; events: number; distinctUsers: boolean }) {
  const url = platform.gatewayUrl;
  const admin = await login(url, BENCH_ADMIN.username, BENCH_ADMIN.password);
  const [productId] = await seedProducts(url, admin, 1, 1000);
  const wsUrl = url.replace(/^http/, 'ws');
  const tokens: string[] = [];
  for (let i = 0; i < options.subscribers; i++) tokens.push(options.distinctUsers ? (await newUser(url)).token : admin.token);
  const clients = tokens.map((token) =>
    createClient({ url: wsUrl, connectionParams: { authorization: `Bearer ${token}` }, lazy: false, retryAttempts: 0 }),
  );
  let expected = 0;
  let received = 0;
  let sentAt = 0;
  let onAll: (() => void) | null = null;
  const latencies: number[] = [];
  const subscribed: Promise<void>[] = [];
  for (const client of clients) {
    subscribed.push(
      new Promise<void>((resolveFirst, reject) => {
        let first = true;
        client.subscribe(
          {
            query: 'subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity updatedAt product { name } } }',
            variables: { ids: [productId] },
          },
          {
            next: (message) => {
              if (message.errors) return reject(new Error(JSON.stringify(message.errors)));
              if (first) {
                first = false;
                return resolveFirst();
              }
              latencies.push(performance.now() - sentAt);
              if (++received === expected) onAll?.();
            },
            error: reject,
            complete: () => undefined,
          },
        );
      }),
    );
  }
  const setStock = (stockQuantity: number) =>
    graphql(
      url,
      'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id } }',
      { i: { id: productId, stockQuantity } },
      admin.token,
    );
  // Subscribing is asynchronous on the server: change the stock until every subscriber has seen one event.
  const ready = Promise.all(subscribed);
  let warm = 0;
  while (!(await Promise.race([ready.then(() => true), new Promise((r) => setTimeout(() => r(false), 200))])))
    await setStock(2000 + ++warm);
  await new Promise((r) => setTimeout(r, 300)); // let warm-up deliveries drain
  latencies.length = 0;
  const started = performance.now();
  for (let i = 0; i < options.events; i++) {
    expected = options.subscribers * (i + 1);
    const all = new Promise<void>((resolve) => (onAll = resolve));
    received = options.subscribers * i;
    sentAt = performance.now();
    await setStock(i);
    await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))]);
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.dispose()));
  const rows = [fanoutRow(options, latencies, seconds)];
  printTable('Subscription fan-out: stockUpdated { productId newQuantity updatedAt product { name } } through the gateway', rows);
  return rows;
}

const DEEP_QUERY = `query Deep($userId: ID!) {
  userOrders(userId: $userId, limit: 10) {
    id status totalAmount createdAt
    items { quantity price subtotal product { id name price category { id name } } }
    user { id username }
  }
}`;

/**
 * The same deep federated query (orders -> items -> product -> category, and user) through our
 * gateway, @graphql-hive/gateway and a plain @apollo/gateway, each in its own process over the
 * same subgraphs; rounds alternate so drift on the machine hits all three alike.
 */
export async function benchGateways(platform: PlatformProcess, options: { seconds: number; rounds: number }) {
  const url = platform.gatewayUrl;
  const admin = await login(url, BENCH_ADMIN.username, BENCH_ADMIN.password);
  const products = await seedProducts(url, admin, 4, 1_000_000);
  const user = await newUser(url);
  await untilOrderable(url, user.token, products);
  for (let i = 0; i < 9; i++) {
    await graphql(url, CREATE_ORDER, { i: { items: products.map((productId, n) => ({ productId, quantity: n + 1 })) } }, user.token);
  }
  const subgraphUrls = Object.fromEntries(Object.entries(platform.urls).filter(([name]) => name !== 'gateway'));
  const kinds = [
    { kind: 'ours', label: 'our gateway (auth, limits, APQ)' },
    { kind: 'hive', label: '@graphql-hive/gateway' },
    { kind: 'apollo', label: 'plain @apollo/gateway' },
  ];
  const gateways = await Promise.all(
    kinds.map((k) =>
      startChild<{ url: string }>('./gateway-process.ts', [k.kind, JSON.stringify(subgraphUrls)], { REDIS_URL: process.env.REDIS_URL }),
    ),
  );
  try {
    const body = JSON.stringify({ query: DEEP_QUERY, variables: { userId: user.userId } });
    const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
    // Every gateway must give the same answer before it is timed.
    const answers = await Promise.all(
      gateways.map(async (g) => {
        const res = await fetch(g.url, { method: 'POST', headers, body });
        return JSON.stringify(((await res.json()) as { data: unknown }).data);
      }),
    );
    for (const [i, answer] of answers.entries()) {
      if (answer !== answers[0])
        throw new Error(`${kinds[i].kind} answers differently: ${answer.slice(0, 300)} vs ${answers[0].slice(0, 300)}`);
    }
    const summary = await alternate(
      gateways.map((gateway) => ({ url: gateway.url, method: 'POST' as const, headers, body, connections: 16, duration: options.seconds })),
      options.rounds,
    );
    const rows = kinds.map((k, i) => ({
      gateway: k.label,
      'req/s': summary[i].rps,
      'p50 ms': summary[i].p50,
      'p99 ms': summary[i].p99,
      'vs ours': `${(summary[i].rps / summary[0].rps).toFixed(2)}x`,
      errors: summary[i].errors,
    }));
    printTable(
      `Deep federated query: 10 orders x 4 items -> product -> category, and user (16 connections, ${options.rounds} alternated rounds)`,
      rows,
    );
    return rows;
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
  }
}

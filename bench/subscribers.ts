/**
 * A bounded 10,000-subscriber run on one gateway: 1,000 users, each on one WebSocket with one
 * `orderUpdated` (its own order: 1,000 orders) and nine `stockUpdated` (one product each, spread
 * over 100 products: 90 subscribers a product), multiplexed over the socket as graphql-ws does.
 * The sockets live in a few client child processes (the load generator is not the bottleneck)
 * and come from several loopback addresses (127.0.0.2, ...), at most 400 an address, so the
 * gateway's per-address socket limit stays as it is.
 *
 * Events, sent at a fixed rate for a few seconds (open loop), either way:
 * - `bus` (the default when the bench is given the platform's bus): stock and order events
 *   published straight on NATS, as the catalog and the orders service publish them: what is
 *   timed is the gateway's fan-out (NATS -> resolution -> every subscriber's socket);
 * - `mutations`: `updateProduct`, `shipOrder` then `deliverOrder` through the gateway, timed from
 *   the request (the mutation, the outbox and its relay included), as bench/fanout.ts does; with a
 *   bus the bench also hears each event on NATS and reports the fan-out part apart.
 * Reported: deliveries/s, p50/p99/max, the gateway's RSS and heap before and after subscribing
 * (after a full garbage collection, asked of the gateway through its inspector, when it can be
 * reached; else the lowest seen over 10 s of idling), memory per idle subscriber, RSS after.
 *
 * Accounts (`bench_subscriber_<n>`) are registered by the first run on a database and kept there
 * (`npm run bench` makes a database per run). The platform is best run with
 * PASSWORD_HASH_MEMORY_KIB=1024 and PASSWORD_HASH_PASSES=1 (as `npm run bench` and the tests run
 * it): with the default argon2 cost a thousand sign-ins take a minute.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type EventBus, Subjects } from '@app/events';
import WebSocket from 'ws';
import { BENCH_ADMIN, CREATE_ORDER, login, percentile, type Session, seedProducts, untilOrderable } from './fixtures.js';
import { graphql, type PlatformProcess, printTable } from './lib.js';

export interface SubscribersOptions {
  /** Subscriptions in all (default BENCH_SUBSCRIBERS_10K or 10,000): one a user for its order, the rest on stock. */
  subscribers?: number;
  users?: number;
  products?: number;
  /** Seconds of events (default BENCH_SUBSCRIBERS_SECONDS or 10). */
  seconds?: number;
  /** Stock changes and order transitions sent per second (default BENCH_SUBSCRIBERS_STOCK_RATE / _ORDER_RATE or 20 each). */
  stockEventsPerSecond?: number;
  orderEventsPerSecond?: number;
  /** Client child processes holding the sockets (default 2). */
  clientProcesses?: number;
  /** The platform's bus (its NATS namespace): events can be published on it, and are heard on it. */
  bus?: EventBus;
  /** How events are made (default BENCH_SUBSCRIBERS_EVENTS, else `bus` with a bus, `mutations` without). */
  events?: 'bus' | 'mutations';
}

const STOCK = 'subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity updatedAt product { name price } } }';
const ORDER = 'subscription($id: ID!) { orderUpdated(orderId: $id) { id status updatedAt items { quantity product { name } } } }';
const SOCKETS_PER_ADDRESS = 400;
const SUBSCRIBER_PASSWORD = 'bench-subscriber-password-1';

interface ClientUser {
  token: string;
  orderId: string;
  productIds: string[];
  localAddress: string;
}
type Delivery = [key: string, at: number];
type ClientMessage = { type: 'ready'; refused: number } | { type: 'deliveries'; items: Delivery[]; errors: string[] };

/** An event sent, by key (`s:<product>:<quantity>`, `o:<order>:<status>`). */
interface Sent {
  at: number;
  expected: number;
  received: number;
  /** When the bench heard it on NATS (with a bus). */
  heard?: number;
  /** Latency of its first delivery. */
  first?: number;
}

/**
 * Wall-clock milliseconds, read when asked: the bench and its client processes compare them. Not
 * `performance.timeOrigin + performance.now()`: a process's time origin is fixed when it starts,
 * so a step of the machine's clock between the bench's start and the clients' shifts every
 * latency (seen once here: all 18,200 deliveries "4.9 s late", max - min 75 ms).
 */
const now = () => Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (since: number) => Math.round(performance.now() - since) / 1000;

/** Runs `task` over `items` with at most `concurrency` at once. */
async function pool<T, R>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await task(items[i], i);
      }
    }),
  );
  return out;
}

/** A set-up call, tried again while the platform says it is busy (SERVICE_UNAVAILABLE under the set-up's own burst). */
async function patiently<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 20 || !/SERVICE_UNAVAILABLE/.test((err as Error).message)) throw err;
      await sleep(250 * attempt);
    }
  }
}

/** Resident memory of a process (kB), from /proc. */
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** CPU-seconds (user + system) a process has used, from /proc (clock ticks of 1/100 s, as Linux reports them). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Whether a process is still there, for an error message. */
function processState(pid: number): string {
  try {
    process.kill(pid, 0);
    return `alive: ${/State:\s+(.*)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?'}`;
  } catch {
    return 'gone';
  }
}

/** Sums the samples of one metric (every label set) from the gateway's /metrics. */
async function metric(gatewayUrl: string, name: string): Promise<number> {
  const text = await (await fetch(gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Evaluates in the process behind an inspector session: a full collection, then its memory (undefined if it is not `pid`). */
async function collectThroughInspector(debuggerUrl: string, pid: number) {
  const ws = new WebSocket(debuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const pending = new Map<number, (message: any) => void>();
  ws.on('message', (raw) => {
    const message = JSON.parse(String(raw));
    pending.get(message.id)?.(message);
  });
  let id = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<any>((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (expression: string) =>
    (await call('Runtime.evaluate', { expression, returnByValue: true })).result?.result?.value;
  try {
    if ((await evaluate('process.pid')) !== pid) return undefined;
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const usage = JSON.parse(await evaluate('JSON.stringify(process.memoryUsage())'));
    // Closes the inspector again (this session ends with it, unanswered): the gateway runs on as
    // before. The inspector ends the session itself: closing the socket from here at the same
    // moment could take the gateway down with it (seen: the process gone, nothing printed).
    const ended = new Promise((resolve) => {
      ws.once('close', resolve);
      setTimeout(resolve, 5_000).unref();
    });
    ws.send(
      JSON.stringify({
        id: ++id,
        method: 'Runtime.evaluate',
        params: { expression: "process.getBuiltinModule('node:inspector').close()" },
      }),
    );
    await ended;
    return { heap: usage.heapUsed as number, rss: (usage.rss as number) / 1024, collected: true };
  } finally {
    ws.close();
  }
}

/**
 * The gateway's memory without the garbage of what came before (setting up, subscribing): after
 * a full collection asked through its inspector (SIGUSR1 opens it on 127.0.0.1:9229, the session
 * checks it reached that process); when that fails, the lowest heap and RSS seen over 10 s of
 * idling (V8's memory reducer collects an idle heap within about that).
 */
async function gatewayMemory(url: string, pid: number): Promise<{ heap: number; rss: number; collected: boolean }> {
  try {
    process.kill(pid, 'SIGUSR1');
    for (let attempt = 0; attempt < 30; attempt++) {
      const targets = await fetch('http://127.0.0.1:9229/json/list').then(
        (r) => r.json() as Promise<{ webSocketDebuggerUrl: string }[]>,
        () => [],
      );
      for (const target of targets) {
        const memory = await collectThroughInspector(target.webSocketDebuggerUrl, pid).catch(() => undefined);
        if (memory) return memory;
      }
      await sleep(100);
    }
  } catch {
    // no inspector: settle instead
  }
  let heap = Number.POSITIVE_INFINITY;
  let rss = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    await sleep(1_000);
    const used = await metric(url, 'nodejs_heap_size_used_bytes').catch((err: unknown) => {
      throw new Error(`the gateway (pid ${pid}, ${processState(pid)}) does not answer at ${url} after SIGUSR1`, { cause: err });
    });
    heap = Math.min(heap, used);
    rss = Math.min(rss, rssKb(pid));
  }
  return { heap, rss, collected: false };
}

/**
 * The `i`th subscriber account, kept from run to run (as the bench admin is): signing in is one
 * password hash, registering first is two and more writes, and a run needs a thousand of them.
 */
async function subscriberSession(url: string, i: number): Promise<Session> {
  const username = `bench_subscriber_${i}`;
  try {
    return await login(url, username, SUBSCRIBER_PASSWORD);
  } catch (err) {
    if (!/UNAUTHENTICATED|Invalid/i.test((err as Error).message)) throw err;
  }
  await graphql(url, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', {
    i: { username, email: `${username}@example.com`, password: SUBSCRIBER_PASSWORD },
  });
  return login(url, username, SUBSCRIBER_PASSWORD);
}

/** Waits until the saga has settled every order (60 s at most); their statuses by id. */
async function settle(url: string, token: string, orderIds: string[]) {
  const statuses = new Map<string, string>(orderIds.map((id) => [id, 'PROCESSING']));
  const deadline = Date.now() + 60_000;
  for (let pending = orderIds; pending.length && Date.now() < deadline; ) {
    await sleep(500);
    await pool(pending, 16, async (id) => {
      const { order } = await graphql(url, 'query($id: ID!) { order(id: $id) { status } }', { id }, token);
      statuses.set(id, order.status);
    });
    pending = pending.filter((id) => statuses.get(id) === 'PROCESSING' || statuses.get(id) === 'PENDING');
  }
  return statuses;
}

/**
 * Users, products and one order a user: what the subscriptions follow. Events made by mutations
 * need orders the saga has confirmed (to ship them): new ones every run. Events published on the
 * bus only need orders that exist: a user's order from an earlier run serves.
 */
async function seed(url: string, users: number, products: number, events: 'bus' | 'mutations') {
  const started = performance.now();
  const admin = await login(url, BENCH_ADMIN.username, BENCH_ADMIN.password);
  const productIds = await seedProducts(url, admin, products, 1_000_000);
  const sessions = await pool(Array.from({ length: users }), 16, (_, i) => patiently(() => subscriberSession(url, i)));
  console.log(`# subscribers: ${products} products and ${users} users signed in after ${seconds(started)} s`);
  const existing =
    events === 'bus'
      ? await pool(sessions, 16, async (s) => (await graphql(url, '{ me { orders(limit: 1) { id } } }', {}, s.token)).me.orders[0]?.id)
      : sessions.map(() => undefined);
  const placing = existing.flatMap((id, i) => (id ? [] : [i]));
  if (placing.length) await untilOrderable(url, admin.token, productIds);
  const placed = await pool(placing, 16, async (i) => {
    const items = [{ productId: productIds[i % products], quantity: 1 }];
    return (await patiently(() => graphql(url, CREATE_ORDER, { i: { items } }, sessions[i].token))).createOrder.id as string;
  });
  const orderIds = existing.map((id) => id ?? '');
  placing.forEach((i, k) => {
    orderIds[i] = placed[k];
  });
  const statuses = await settle(url, admin.token, placed);
  console.log(`# subscribers: ${placed.length} orders placed and settled after ${seconds(started)} s`);
  const confirmed = orderIds.filter((id) => statuses.get(id) === 'CONFIRMED');
  return { admin, productIds, sessions, orderIds, confirmed };
}

/** Which subscriptions each user holds: its order, and its share of stock subscriptions spread over the products. */
function plan(users: number, total: number, productIds: string[]) {
  const stockPerUser = Math.ceil((total - users) / users);
  const perProduct = new Map<string, number>();
  let left = total - users;
  const productsOf = Array.from({ length: users }, (_, u) => {
    const ids: string[] = [];
    for (let k = 0; k < stockPerUser && left > 0; k++, left--) {
      const id = productIds[(u * stockPerUser + k) % productIds.length];
      ids.push(id);
      perProduct.set(id, (perProduct.get(id) ?? 0) + 1);
    }
    return ids;
  });
  return { productsOf, perProduct };
}

/** Forks the client processes, each given its share of the users; resolves once every socket is open and subscribed. */
async function startClients(wsUrl: string, users: ClientUser[], processes: number, onMessage: (m: ClientMessage) => void) {
  const children: ChildProcess[] = [];
  let refused = 0;
  await Promise.all(
    Array.from({ length: processes }, (_, p) => {
      const child = fork(fileURLToPath(import.meta.url), [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, BENCH_SUBSCRIBER_CLIENT: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      return new Promise<void>((resolve, reject) => {
        child.on('message', (m: ClientMessage) => {
          if (m.type === 'ready') {
            refused += m.refused;
            resolve();
          } else onMessage(m);
        });
        child.once('exit', (code) => reject(new Error(`subscriber client exited with ${code}`)));
        child.send({ type: 'start', wsUrl, users: users.filter((_, i) => i % processes === p) });
      });
    }),
  );
  const stop = () =>
    Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.removeAllListeners('exit');
            child.once('exit', () => resolve());
            child.send({ type: 'stop' });
          }),
      ),
    );
  return { refused, stop };
}

/** Polls the gateway's gauge of live subscriptions until `count` more than `before` are live (or 60 s pass). */
async function untilLive(url: string, before: number, count: number) {
  const deadline = Date.now() + 60_000;
  let live = 0;
  while ((live = (await metric(url, 'graphql_subscriptions_active')) - before) < count && Date.now() < deadline) await sleep(250);
  return live;
}

/** Notes when each event sent is heard on the bus (the gateway hears it at about the same moment). */
async function hearOnBus(bus: EventBus | undefined, sent: Map<string, Sent>) {
  if (!bus) return [];
  const heard = (key: string) => {
    const s = sent.get(key);
    if (s && s.heard === undefined) s.heard = now();
  };
  return Promise.all([
    bus.onBroadcast(Subjects.LiveStockUpdated, async ({ data }) => heard(`s:${data.productId}:${data.newQuantity}`)),
    bus.onBroadcast(Subjects.LiveOrderUpdated, async ({ data }) => heard(`o:${data.orderId}:${data.status}`)),
  ]);
}

interface Drive {
  url: string;
  admin: Session;
  seconds: number;
  stockRate: number;
  orderRate: number;
  productIds: string[];
  perProduct: Map<string, number>;
  /** Orders whose owners follow them: by mutations only the confirmed ones (they can be shipped). */
  orders: { orderId: string; userId: string }[];
  bus?: EventBus;
  events: 'bus' | 'mutations';
}

/** Sends one event of each kind: through a mutation, or published on the bus. */
function senders(d: Drive, send: (key: string, count: number, make: () => Promise<unknown>) => void) {
  const statuses = ['SHIPPED', 'DELIVERED'] as const;
  let stock = 0;
  let order = 0;
  const stockEvent = () => {
    const productId = d.productIds[stock % d.productIds.length];
    const newQuantity = 500_000 + stock++;
    send(`s:${productId}:${newQuantity}`, d.perProduct.get(productId) ?? 0, () =>
      d.events === 'bus'
        ? d.bus!.broadcast(Subjects.LiveStockUpdated, { productId, newQuantity, updatedAt: new Date().toISOString() })
        : graphql(
            d.url,
            'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id } }',
            { i: { id: productId, stockQuantity: newQuantity } },
            d.admin.token,
          ),
    );
  };
  const orderEvent = () => {
    const { orderId, userId } = d.orders[order % d.orders.length];
    const status = statuses[Math.floor(order++ / d.orders.length)];
    if (!status) return false;
    send(`o:${orderId}:${status}`, 1, () =>
      d.events === 'bus'
        ? d.bus!.broadcast(Subjects.LiveOrderUpdated, {
            orderId,
            userId,
            version: 1_000_000 + order,
            status,
            updatedAt: new Date().toISOString(),
            sagaState: null,
          })
        : graphql(
            d.url,
            `mutation($id: ID!) { ${status === 'SHIPPED' ? 'shipOrder' : 'deliverOrder'}(orderId: $id) { id } }`,
            { id: orderId },
            d.admin.token,
          ),
    );
    return true;
  };
  return { stockEvent, orderEvent, counts: () => ({ stock, order }) };
}

/**
 * Sends stock changes and order transitions at their rates for `seconds` (open loop, at most 64
 * sends in flight), then waits up to 10 s for the deliveries still on their way.
 */
async function drive(d: Drive, sent: Map<string, Sent>, deliveries: { received: number }) {
  let inFlight = 0;
  let failed = 0;
  let expected = 0;
  const send = (key: string, count: number, make: () => Promise<unknown>) => {
    sent.set(key, { at: now(), expected: count, received: 0 });
    expected += count;
    inFlight++;
    make()
      .catch(() => {
        failed++;
        expected -= count;
        sent.delete(key);
      })
      .finally(() => inFlight--);
  };
  const { stockEvent, orderEvent, counts } = senders(d, send);
  const started = now();
  let ordersLeft = d.orders.length > 0;
  for (let elapsed = 0; elapsed < d.seconds * 1000; elapsed = now() - started) {
    while (counts().stock < (elapsed / 1000) * d.stockRate && inFlight < 64) stockEvent();
    while (ordersLeft && counts().order < (elapsed / 1000) * d.orderRate && inFlight < 64) ordersLeft = orderEvent();
    await sleep(5);
  }
  const sentFor = now() - started;
  const drainDeadline = now() + 10_000;
  while ((inFlight > 0 || deliveries.received < expected) && now() < drainDeadline) await sleep(50);
  return { started, sentFor, ...counts(), failed, expected };
}

const ms = (sorted: number[], p: number) => Math.round(percentile(sorted, p) ?? 0);
const mb = (kb: number) => Math.round(kb / 102.4) / 10;

/** Delivery latencies of the run: from sending, from NATS, and of each event's first delivery. */
function latencyColumns(sent: Map<string, Sent>, latencies: number[], fromBus: number[], byMutation: boolean) {
  latencies.sort((a, b) => a - b);
  fromBus.sort((a, b) => a - b);
  const firsts = [...sent.values()].flatMap((s) => (s.first === undefined ? [] : [s.first])).sort((a, b) => a - b);
  return {
    'p50 ms': ms(latencies, 50),
    'p99 ms': ms(latencies, 99),
    'max ms': Math.round(latencies.at(-1) ?? 0),
    ...(byMutation
      ? {
          'first delivery p50/p99 ms': `${ms(firsts, 50)}/${ms(firsts, 99)}`,
          ...(fromBus.length ? { 'from NATS p50/p99/max ms': `${ms(fromBus, 50)}/${ms(fromBus, 99)}/${Math.round(fromBus.at(-1)!)}` } : {}),
        }
      : {}),
  };
}

/** Says which events fell short of their deliveries (none heard on NATS: lost before the gateway). */
function reportShort(sent: Map<string, Sent>) {
  const short = [...sent.entries()].filter(([, s]) => s.received < s.expected);
  if (!short.length) return;
  const none = short.filter(([, s]) => !s.received).length;
  const unheard = short.filter(([, s]) => s.heard === undefined).length;
  const examples = short.slice(0, 3).map(([key, s]) => `${key} ${s.received}/${s.expected}`);
  console.log(
    `# subscribers: ${short.length} events short (${none} with no delivery, ${unheard} not heard on NATS); e.g. ${examples.join(', ')}`,
  );
}

/** Opens the sockets and subscribes; the gateway's memory before and once everything is live and idle. */
async function subscribeAll(
  url: string,
  pid: number,
  users: ClientUser[],
  total: number,
  processes: number,
  onMessage: (m: ClientMessage) => void,
) {
  const gaugeBefore = await metric(url, 'graphql_subscriptions_active');
  const before = await gatewayMemory(url, pid);
  const started = performance.now();
  const clients = await startClients(url.replace(/^http/, 'ws'), users, processes, onMessage);
  const live = await untilLive(url, gaugeBefore, total);
  const subscribeSeconds = seconds(started);
  const idle = await gatewayMemory(url, pid);
  return { clients, live, subscribeSeconds, before, idle };
}

/** Gathers what the client processes report: each delivery matched with the event it is of. */
function collector(sent: Map<string, Sent>) {
  const latencies: number[] = [];
  const fromBus: number[] = [];
  const errors: string[] = [];
  const deliveries = { received: 0, unmatched: 0, last: 0 };
  const onMessage = (m: ClientMessage) => {
    if (m.type !== 'deliveries') return;
    if (errors.length < 5) errors.push(...m.errors.slice(0, 5 - errors.length));
    for (const [key, at] of m.items) {
      const s = sent.get(key);
      if (!s) {
        deliveries.unmatched++;
        continue;
      }
      s.received++;
      s.first = Math.min(s.first ?? Number.POSITIVE_INFINITY, at - s.at);
      latencies.push(at - s.at);
      if (s.heard !== undefined) fromBus.push(at - s.heard);
      deliveries.received++;
      deliveries.last = Math.max(deliveries.last, at);
    }
  };
  return { latencies, fromBus, errors, deliveries, onMessage };
}

type Subscribed = Awaited<ReturnType<typeof subscribeAll>>;
type Collected = ReturnType<typeof collector>;
type Ran = Awaited<ReturnType<typeof drive>>;

/** The run's table and the memory table, printed and returned. */
function report(
  context: {
    total: number;
    users: number;
    products: number;
    processes: number;
    events: 'bus' | 'mutations';
    setupSeconds: number;
    /** CPU-seconds the gateway's process used from the first event to the end of the drain. */
    cpuSeconds: number;
    ownProcess: boolean;
  },
  subscribed: Subscribed,
  run: Ran,
  collected: Collected,
  sent: Map<string, Sent>,
  rssAfter: number,
) {
  const { live, before, idle } = subscribed;
  const { deliveries } = collected;
  const rows = [
    {
      subscriptions: `${live} live of ${context.total} (${context.users} users/sockets, ${subscribed.clients.refused} refused, ${context.processes} client processes)`,
      'setup s': Math.round(context.setupSeconds),
      'subscribe s': Math.round(subscribed.subscribeSeconds * 10) / 10,
      events: `${run.stock} stock + ${run.order} order in ${Math.round(run.sentFor / 100) / 10} s, by ${context.events === 'bus' ? 'NATS' : 'mutation'} (${run.failed} failed)`,
      deliveries: `${deliveries.received} of ${run.expected} (${deliveries.unmatched} unmatched)`,
      'deliveries/s': Math.round(deliveries.received / ((Math.max(deliveries.last, run.started + run.sentFor) - run.started) / 1000)),
      ...latencyColumns(sent, collected.latencies, collected.fromBus, context.events === 'mutations'),
      'gateway CPU ms/1k deliveries': Number.isFinite(context.cpuSeconds)
        ? Math.round((context.cpuSeconds / Math.max(1, deliveries.received)) * 1e6)
        : '-',
    },
  ];
  const perSubscriber = (delta: number) => Math.round((delta / Math.max(1, live)) * 10) / 10;
  const memory = [
    {
      measured: before.collected && idle.collected ? 'after a full GC' : 'lowest over 10 s idle',
      'RSS before MB': mb(before.rss),
      'RSS subscribed, idle MB': mb(idle.rss),
      'RSS after events MB': mb(rssAfter),
      'heap before MB': mb(before.heap / 1024),
      'heap subscribed, idle MB': mb(idle.heap / 1024),
      'RSS per idle subscriber KB': perSubscriber(idle.rss - before.rss),
      'heap per idle subscriber KB': perSubscriber((idle.heap - before.heap) / 1024),
    },
  ];
  const title = `${context.total} subscribers on one gateway: stockUpdated x ${context.total - context.users} over ${context.products} products + orderUpdated x ${context.users}`;
  printTable(title, rows);
  printTable(
    context.ownProcess ? 'Memory of the gateway process' : 'Memory of the platform process (gateway and subgraphs in one)',
    memory,
  );
  return { rows, memory };
}

export async function benchSubscribers(platform: PlatformProcess, options: SubscribersOptions = {}) {
  const url = platform.gatewayUrl;
  // The gateway's own process when the platform runs a process per service.
  const pid = platform.pids?.gateway ?? platform.child.pid!;
  const total = options.subscribers ?? Number(process.env.BENCH_SUBSCRIBERS_10K ?? 10_000);
  const users = Math.min(options.users ?? 1_000, total);
  const events =
    options.events ?? (process.env.BENCH_SUBSCRIBERS_EVENTS as 'bus' | 'mutations' | undefined) ?? (options.bus ? 'bus' : 'mutations');
  if (events === 'bus' && !options.bus) throw new Error('events published on the bus need the platform bus');
  const processes = options.clientProcesses ?? 2;
  const setupStarted = performance.now();
  const seeded = await seed(url, users, options.products ?? 100, events);
  const { productsOf, perProduct } = plan(users, total, seeded.productIds);
  const setupSeconds = seconds(setupStarted);

  const sent = new Map<string, Sent>();
  const collected = collector(sent);
  const clientUsers = seeded.sessions.map((s, u) => ({
    token: s.token,
    orderId: seeded.orderIds[u],
    productIds: productsOf[u],
    localAddress: `127.0.0.${2 + Math.floor(u / SOCKETS_PER_ADDRESS)}`,
  }));
  const subscribed = await subscribeAll(url, pid, clientUsers, total, processes, collected.onMessage);

  const listening = events === 'mutations' ? await hearOnBus(options.bus, sent) : [];
  const window = process.hrtime.bigint() / 1000n;
  const cpuBefore = cpuSeconds(pid);
  const orders = seeded.sessions.flatMap((s, u) =>
    events === 'bus' || seeded.confirmed.includes(seeded.orderIds[u]) ? [{ orderId: seeded.orderIds[u], userId: s.userId }] : [],
  );
  const run = await drive(
    {
      url,
      admin: seeded.admin,
      seconds: options.seconds ?? Number(process.env.BENCH_SUBSCRIBERS_SECONDS ?? 10),
      stockRate: options.stockEventsPerSecond ?? Number(process.env.BENCH_SUBSCRIBERS_STOCK_RATE ?? 20),
      orderRate: options.orderEventsPerSecond ?? Number(process.env.BENCH_SUBSCRIBERS_ORDER_RATE ?? 20),
      productIds: seeded.productIds,
      perProduct,
      orders,
      bus: options.bus,
      events,
    },
    sent,
    collected.deliveries,
  );
  const windowEnd = process.hrtime.bigint() / 1000n;
  const cpuUsed = cpuSeconds(pid) - cpuBefore;
  const rssAfter = rssKb(pid);
  await Promise.all(listening.map((l) => l.unsubscribe()));
  await subscribed.clients.stop();
  if (process.env.BENCH_CPU_PROF)
    console.log(`# subscribers: gateway pid ${pid}, events from ${window} to ${windowEnd} (monotonic microseconds)`);
  if (collected.errors.length) console.log(`# subscribers: errors delivered: ${collected.errors.join(' | ')}`);
  reportShort(sent);
  const context = {
    total,
    users,
    products: seeded.productIds.length,
    processes,
    events,
    setupSeconds,
    cpuSeconds: cpuUsed,
    ownProcess: pid !== platform.child.pid,
  };
  return report(context, subscribed, run, collected, sent, rssAfter);
}

/** A client child process: opens its users' sockets, subscribes, and reports each delivery's key and arrival time. */
function runClient() {
  const deliveries: Delivery[] = [];
  const errors: string[] = [];
  const sockets: WebSocket[] = [];
  const flush = () => {
    if (deliveries.length || errors.length)
      process.send!({ type: 'deliveries', items: deliveries.splice(0), errors: errors.splice(0) } satisfies ClientMessage);
  };
  setInterval(flush, 100);
  const onMessage = (ws: WebSocket, user: ClientUser, raw: WebSocket.RawData, resolve: (ok: boolean) => void) => {
    const at = now();
    const m = JSON.parse(raw.toString());
    if (m.type === 'next') {
      const data = m.payload.data;
      if (m.payload.errors) errors.push(JSON.stringify(m.payload.errors).slice(0, 300));
      else if (data?.stockUpdated) deliveries.push([`s:${data.stockUpdated.productId}:${data.stockUpdated.newQuantity}`, at]);
      else if (data?.orderUpdated) deliveries.push([`o:${data.orderUpdated.id}:${data.orderUpdated.status}`, at]);
    } else if (m.type === 'error') errors.push(JSON.stringify(m.payload).slice(0, 300));
    else if (m.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
    else if (m.type === 'connection_ack') {
      ws.send(JSON.stringify({ id: 'o', type: 'subscribe', payload: { query: ORDER, variables: { id: user.orderId } } }));
      for (const [k, id] of user.productIds.entries())
        ws.send(JSON.stringify({ id: `s${k}`, type: 'subscribe', payload: { query: STOCK, variables: { ids: [id] } } }));
      resolve(true);
    }
  };
  const open = (wsUrl: string, user: ClientUser) =>
    new Promise<boolean>((resolve) => {
      const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { localAddress: user.localAddress, perMessageDeflate: false });
      sockets.push(ws);
      ws.once('error', () => resolve(false));
      ws.once('close', (code) => {
        errors.push(`socket closed ${code}`);
        resolve(false);
      });
      ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } })));
      ws.on('message', (raw) => onMessage(ws, user, raw, resolve));
    });
  process.on('message', async (message: { type: 'start'; wsUrl: string; users: ClientUser[] } | { type: 'stop' }) => {
    if (message.type === 'stop') {
      flush();
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
    const opened = await pool(message.users, 32, (user) => open(message.wsUrl, user));
    process.send!({ type: 'ready', refused: opened.filter((ok) => !ok).length } satisfies ClientMessage);
  });
}

if (process.env.BENCH_SUBSCRIBER_CLIENT === '1' && process.send) runClient();

/**
 * Where an order's time goes, step by step, from createOrder to the bench hearing CONFIRMED (and,
 * off that path, when the catalog handles the one-way commit):
 * `npm exec -- tsx bench/saga-trace.ts`. Starts the platform in its own process (as `npm run
 * bench` does, on the real Postgres, Redis and NATS), places orders in an open loop
 * (TRACE_RATE orders/s for TRACE_SECONDS; TRACE_CONCURRENCY=n: a closed loop of 4 s instead;
 * TRACE_PRODUCTS: how many products the orders share, default 3: hot rows, as in the bench;
 * TRACE_WARMUP: orders of the open loop's warm-up, untraced, default the rate's second, at least
 * 40; TRACE_DUMP=<file>: each order's timeline written there as JSON, to see when the slow ones were due),
 * then rebuilds each order's timeline from the timestamps the saga already writes: the outbox
 * rows of orders and catalog (written, sent), the catalog's inbox (command received) and the
 * orders inbox (reply received), and the order's `orders.order.updated` messages (one per
 * transition, each carrying its `live.order.updated` with the order's version; a transaction's
 * messages share a row, so they share its written and sent times).
 * Prints p50/p90/p99 per segment (ms), and the open loop second by second with the machine's busy
 * share (bench/saga-seconds.ts). Timestamps are the services' clocks (ms), so a segment
 * includes what its end waited for: a transaction's commit shows in the next one. A row's
 * `sent_at` is when it was marked sent, up to ~10 ms after its publish (the committed publisher
 * marks in batches), so the segment after a "marked sent" one can be negative.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { NatsEventBus } from '@app/events';
import { outboxMessagesQuery } from '@app/platform';
import pg from 'pg';
import { BENCH_ADMIN, login, newUser, percentile, seedProducts, untilOrderable } from './fixtures.js';
import { printTable, startPlatformProcess } from './lib.js';
import { sampleMachineBusy } from './machine-busy.js';
import { closedLoop, OrderEnds, openLoop, type PlacedOrder, placeOrder } from './saga.js';
import { sagaSeconds } from './saga-seconds.js';

const rate = Number(process.env.TRACE_RATE ?? 50);
const seconds = Number(process.env.TRACE_SECONDS ?? 3);
const concurrency = process.env.TRACE_CONCURRENCY ? Number(process.env.TRACE_CONCURRENCY) : null;
// A database of its own by default: another platform on the same schemas (a concurrent bench)
// would relay this one's outbox rows into its own NATS namespace.
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/saga_trace';
const env = {
  DATABASE_URL: databaseUrl,
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  NATS_NAMESPACE: `trace${randomBytes(4).toString('hex')}`,
};

interface Row {
  subject: string;
  id: string;
  msg_id: string | null;
  payload: { orderId: string; status?: string };
  broadcast_payload: { version?: number } | null;
  created_at: Date;
  sent_at: Date | null;
}

/** What the timelines read of each outbox message (a saga transaction's messages share their row's times). */
const MESSAGE_COLUMNS = 'select m.subject, m.id, m.msg_id, m.payload, m.broadcast_payload, m.created_at, m.sent_at';

/** Each order's timestamps (epoch ms) by point of its timeline. */
async function timelines(db: pg.Pool, orders: PlacedOrder[]) {
  const ids = orders.map((o) => o.id);
  const q = async <T>(sql: string, params: unknown[]) => (await db.query(sql, params)).rows as T[];
  const ordersOutbox = await q<Row>(
    `${MESSAGE_COLUMNS} from ${outboxMessagesQuery('orders.outbox')} m where m.payload->>'orderId' = any($1)`,
    [ids],
  );
  const catalogOutbox = await q<Row>(
    `${MESSAGE_COLUMNS} from ${outboxMessagesQuery('catalog.outbox')} m where m.subject like 'catalog.inventory.%' and m.payload->>'orderId' = any($1)`,
    [ids],
  );
  const created = new Map(
    (await q<{ id: string; created_at: Date }>('select id, created_at from orders.orders where id = any($1)', [ids])).map((r) => [
      r.id,
      r.created_at,
    ]),
  );
  const commandIds = ordersOutbox.filter((r) => r.subject.startsWith('catalog.inventory.')).map((r) => r.msg_id ?? r.id);
  const received = new Map(
    (await q<{ id: string; received_at: Date }>('select id, received_at from catalog.inbox_messages where id = any($1)', [commandIds])).map(
      (r) => [r.id, r.received_at],
    ),
  );
  const processed = new Map(
    (
      await q<{ id: string; processed_at: Date }>('select id, processed_at from orders.processed_messages where id = any($1)', [
        catalogOutbox.map((r) => `${r.subject}:${r.msg_id}`),
      ])
    ).map((r) => [r.id, r.processed_at]),
  );
  const t = (d: Date | null | undefined) => d?.getTime() ?? Number.NaN;
  return orders.map((order) => {
    const mine = (rows: Row[], subject: string) => rows.find((r) => r.payload.orderId === order.id && r.subject === subject);
    const version = (v: number) =>
      ordersOutbox.find(
        (r) => r.payload.orderId === order.id && r.subject === 'orders.order.updated' && r.broadcast_payload?.version === v,
      );
    const command = (subject: string, replySubject: string) => {
      const cmd = mine(ordersOutbox, subject);
      const reply = mine(catalogOutbox, replySubject);
      return {
        sent: t(cmd?.sent_at),
        received: t(received.get(cmd?.msg_id ?? cmd?.id ?? '')),
        replyWritten: t(reply?.created_at),
        replySent: t(reply?.sent_at),
        replyReceived: t(processed.get(`${replySubject}:${reply?.msg_id}`)),
      };
    };
    return {
      due: order.dueAt,
      created: t(created.get(order.id)),
      reserve: command('catalog.inventory.reserve', 'catalog.inventory.reserved'),
      paying: t(version(2)?.created_at),
      // One-way: the catalog records the sale after the order is CONFIRMED (no reply).
      commit: command('catalog.inventory.commit', ''),
      confirmed: t(version(4)?.created_at),
      confirmedSent: t(version(4)?.sent_at),
      heard: order.endedAt ?? Number.NaN,
    };
  });
}

/** Every process now: its parent, command line and CPU seconds (user + system), from /proc. */
function processTable() {
  const table = new Map<number, { ppid: number; cmd: string; cpu: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      table.set(pid, { ppid: Number(fields[1]), cmd, cpu: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** CPU seconds used so far by the processes that match (the platform: its process and every descendant). */
function cpuSeconds(match: (cmd: string, pid: number, table: ReturnType<typeof processTable>) => boolean): number {
  const table = processTable();
  let total = 0;
  for (const [pid, p] of table) if (match(p.cmd, pid, table)) total += p.cpu;
  return total;
}

const descends = (pid: number, ancestor: number | undefined, table: ReturnType<typeof processTable>) => {
  for (let p: number | undefined = pid; p && p > 1; p = table.get(p)?.ppid) if (p === ancestor) return true;
  return false;
};

/**
 * Connections to this database that the platform opened since `since` (its pools growing, or
 * re-opening what they had closed): each is a server process started and warmed up under load.
 */
async function connectionsOpened(db: pg.Pool, since: Date): Promise<number> {
  const { rows } = await db.query(
    'select count(*)::int as n from pg_stat_activity where datname = current_database() and backend_start > $1 and pid <> pg_backend_pid()',
    [since],
  );
  return rows[0].n;
}

/** Transactions committed in this database so far (a statement outside a transaction counts as one). */
async function committed(db: pg.Pool): Promise<number> {
  const { rows } = await db.query('select xact_commit::int as n from pg_stat_database where datname = current_database()');
  return rows[0].n;
}

async function ensureDatabase(url: string) {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
  if (!rowCount) await admin.query(`create database "${name}"`);
  await admin.end();
}

type Timeline = Awaited<ReturnType<typeof timelines>>[number];
const SEGMENTS: [string, (l: Timeline) => number][] = [
  ['1 request -> createOrder transaction (gateway, auth, validation)', (l) => l.created - l.due],
  ['2 reserve: commit, command published, marked sent', (l) => l.reserve.sent - l.created],
  ['3 reserve: JetStream -> catalog handler', (l) => l.reserve.received - l.reserve.sent],
  ['4 catalog reserves (inbox, lock, stock), writes reply', (l) => l.reserve.replyWritten - l.reserve.received],
  ['5 catalog commit, reply published, marked sent', (l) => l.reserve.replySent - l.reserve.replyWritten],
  ['6 reserved: JetStream -> orders handler', (l) => l.reserve.replyReceived - l.reserve.replySent],
  ['7 orders: inbox, lock, -> processing_payment', (l) => l.paying - l.reserve.replyReceived],
  ['8 payment, confirm_order (local: writes the commit command) -> CONFIRMED', (l) => l.confirmed - l.paying],
  ['9 CONFIRMED: commit, broadcast, marked sent', (l) => l.confirmedSent - l.confirmed],
  ['10 broadcast -> the bench hears it', (l) => l.heard - l.confirmedSent],
  // The same hops without the "marked sent" stamp between (up to the marking interval late): what each message took.
  ['2+3 reserve: createOrder transaction -> catalog handler', (l) => l.reserve.received - l.created],
  ['5+6 reserved: reply written -> orders handler', (l) => l.reserve.replyReceived - l.reserve.replyWritten],
  ['9+10 CONFIRMED written -> the bench hears it', (l) => l.heard - l.confirmed],
  ['total', (l) => l.heard - l.due],
  ['off the path: CONFIRMED -> the catalog handles the commit', (l) => l.commit.received - l.confirmed],
];

await ensureDatabase(databaseUrl);
const platform = await startPlatformProcess({ ...env, ADMIN_USERNAME: BENCH_ADMIN.username, ADMIN_PASSWORD: BENCH_ADMIN.password });
const bus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
const db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
try {
  const url = platform.gatewayUrl;
  const admin = await login(url, BENCH_ADMIN.username, BENCH_ADMIN.password);
  const products = await seedProducts(url, admin, Number(process.env.TRACE_PRODUCTS ?? 3), 1_000_000);
  const users = await Promise.all(Array.from({ length: 8 }, () => newUser(url)));
  await untilOrderable(url, users[0].token, products);
  const ends = await new OrderEnds(url, bus).start();
  const place = (i: number, dueAt: number) =>
    placeOrder(
      url,
      ends,
      users[i % users.length],
      [
        { productId: products[i % products.length], quantity: 1 },
        { productId: products[(i + 1) % products.length], quantity: 2 },
      ],
      dueAt,
    );
  // A warm-up at the traced load, not traced: JIT, and the pools grown to what that load needs
  // (connections a pool opens under the traced load show below; each cost the run's tail).
  const warmup = Number(process.env.TRACE_WARMUP ?? Math.max(40, rate));
  await (concurrency ? closedLoop(concurrency * 10, concurrency, place) : openLoop(warmup, rate, place));
  type Match = (cmd: string, pid: number, table: ReturnType<typeof processTable>) => boolean;
  const platformProcess: Match = (_, pid, table) => descends(pid, platform.child.pid, table);
  // Each service in its own process (scripts/service-processes.ts), or all in the platform's.
  const service =
    (entry: string): Match =>
    (cmd, pid, table) =>
      cmd.includes(entry) && platformProcess(cmd, pid, table);
  const processes: Record<string, Match> = {
    platform: platformProcess,
    gateway: service('gateway/src/index.ts'),
    auth: service('subgraphs/auth/src/index.ts'),
    orders: service('subgraphs/orders/src/index.ts'),
    catalog: service('subgraphs/catalog/src/index.ts'),
    // The backends serving this database (their title names it).
    postgres: (cmd: string) => cmd.startsWith('postgres:') && cmd.includes(` ${new URL(databaseUrl).pathname.slice(1)} `),
    'nats-server': (cmd: string) => cmd.includes('nats-server'),
    // The load itself (requests, hearing the outcomes) shares the machine's cores.
    'this bench': (_cmd: string, pid: number) => pid === process.pid,
  };
  const cpuBefore = Object.values(processes).map(cpuSeconds);
  const transactionsBefore = await committed(db);
  const loopStarted = new Date();
  const started = performance.now();
  const busy = sampleMachineBusy();
  const orders = concurrency
    ? await closedLoop(Math.round(seconds * 50), concurrency, place)
    : await openLoop(Math.round(rate * seconds), rate, place);
  const elapsed = (performance.now() - started) / 1000;
  const busySamples = busy.stop();
  const cpu = Object.values(processes).map((m, i) => cpuSeconds(m) - cpuBefore[i]);
  // Backends report their counts within a second of going idle.
  await new Promise((r) => setTimeout(r, 1500));
  const transactions = (await committed(db)) - transactionsBefore;
  const opened = await connectionsOpened(db, loopStarted);
  await ends.stop();
  const confirmed = orders.filter((o) => o.status === 'CONFIRMED');
  const byStatus: Record<string, number> = {};
  for (const o of orders) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
  const failure = orders.find((o) => o.error)?.error;
  const lines = await timelines(db, confirmed);
  if (process.env.TRACE_DUMP) writeFileSync(process.env.TRACE_DUMP, JSON.stringify(lines));
  const rows = SEGMENTS.map(([segment, of]) => {
    const values = lines
      .map(of)
      .filter((v) => Number.isFinite(v))
      .sort((a, b) => a - b);
    return {
      segment,
      p50: percentile(values, 50),
      p90: percentile(values, 90),
      p99: percentile(values, 99),
      mean: Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10,
    };
  });
  printTable(
    `Saga trace: ${concurrency ? `${concurrency} in flight` : `${rate} orders/s due`}, ${orders.length} orders, ${confirmed.length} confirmed in ${elapsed.toFixed(1)} s (ms)`,
    rows,
  );
  if (!concurrency) printTable('The traced open loop second by second (when the slow orders were due)', sagaSeconds(orders, busySamples));
  // Figures that hold on a busy machine: work per order, not time. nats-server serves whatever
  // else runs on the machine too (an upper bound); the Postgres backends are this database's.
  const perOrder = (n: number) => Math.round((n / orders.length) * 10) / 10;
  console.log('orders by outcome:', byStatus, failure ? `first refusal: ${failure}` : '');
  console.log(
    'per order: CPU ms',
    Object.keys(processes)
      .map((name, i) => `${name} ${perOrder(cpu[i] * 1000)}`)
      .join(', '),
    'Postgres transactions',
    perOrder(transactions),
    'connections opened during the run (still open)',
    opened,
    'load average',
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' '),
  );
} finally {
  await db.end();
  await bus.close();
  await platform.stop();
  const cleanup = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
  await cleanup.deleteNamespaceStreams();
  await cleanup.close();
}

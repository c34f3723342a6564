/**
 * `npm run soak`: a bounded soak test of the whole platform (not part of `npm test`).
 *
 * The platform runs in a process of its own (bench/soak/platform-runner.ts, production settings)
 * on a database, a redis-server and a nats-server of the soak's own, all on loopback. After a
 * warm-up and a settle, the soak counts the platform's resources (bench/soak/census.ts); then it
 * sends mixed GraphQL, REST and WebSocket traffic while 10,000 WebSocket connect -> init ->
 * subscribe -> disconnect cycles run (bench/soak/load.ts), in two equal rounds with the memory
 * counted at rest between them; then it stops, lets the platform settle and counts again. A
 * resource above its start level by more than its stated tolerance is a leak and fails the run,
 * named; so does any unexpected error, a short count of cycles, or a subscription that heard no
 * event. Exit 0: no leak, no unexpected error.
 *
 * Bounded: every loop has a count and a deadline, the load phase at most SOAK_MAX_LOAD_SECONDS
 * (default 300), the whole run at most SOAK_HARD_LIMIT_SECONDS (default 660), then it stops by
 * itself and cleans up (its database dropped, its servers stopped, the namespace's streams
 * deleted). A full run takes about 4 to 6 minutes on 2 cores, depending on what else runs; beside
 * the load, most of it is the end's settle, which waits for the gateway's idle keep-alive
 * connections to the subgraphs to close (65 s).
 *
 * Settings: SOAK_SCALE (default 1) multiplies the counts (0.1 for a quick check: 1,000 cycles);
 * SOAK_WS_WORKERS (16), SOAK_HTTP_WORKERS (4), SOAK_STOCK_WATCHERS (8 per round),
 * SOAK_ORDER_WATCHERS (2); SOAK_SETTLE_SECONDS (15, the shortest settle) and
 * SOAK_SETTLE_MAX_SECONDS (100); DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test:
 * the server the soak's own database is created on). Needs redis-server and nats-server on PATH.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Census, type Figures, type RunnerSample } from './soak/census.js';
import { HttpClient } from './soak/client.js';
import { createDatabase, startNats, startRedis } from './soak/infra.js';
import {
  createFixtures,
  type Fixtures,
  newCycleCounters,
  OPS,
  type OrderWatchCounters,
  orderWatchCycle,
  pickOp,
  pool,
  type StockWatcher,
  startStockWatcher,
  wsCycle,
} from './soak/load.js';
import { percentile, Stats } from './soak/stats.js';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const scale = num('SOAK_SCALE', 1);
const settleSeconds = num('SOAK_SETTLE_SECONDS', 15);
const settleMaxSeconds = Math.max(settleSeconds, num('SOAK_SETTLE_MAX_SECONDS', 100));
const startSettleMaxSeconds = Math.max(settleSeconds, Math.min(settleMaxSeconds, 30));
const maxLoadSeconds = num('SOAK_MAX_LOAD_SECONDS', 300);
const hardLimitSeconds = num('SOAK_HARD_LIMIT_SECONDS', 660);
const DB_POOL_MAX = 10;
const SUBGRAPHS_WITH_DATABASE = 6;

const whole = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
};
const plan = {
  users: Math.max(4, Math.round(40 * scale)),
  products: 4,
  wsCycles: Math.max(20, Math.round(10_000 * scale)),
  wsConcurrency: Math.max(1, whole('SOAK_WS_WORKERS', 16)),
  httpConcurrency: whole('SOAK_HTTP_WORKERS', 4),
  httpMax: Math.max(100, Math.round(150_000 * scale)),
  stockWatchers: Math.max(1, whole('SOAK_STOCK_WATCHERS', 8)),
  orderWatchers: whole('SOAK_ORDER_WATCHERS', 2),
  orderWatchMax: Math.max(5, Math.round(400 * scale)),
};

const runId = randomBytes(4).toString('hex');
const startedAt = Date.now();
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(0)}s`;
const log = (message: string) => console.log(`[${elapsed().padStart(4)}] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ cleanup, bounded run

const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const { name, run } of cleanups.reverse()) {
      await Promise.race([run(), sleep(30_000).then(() => Promise.reject(new Error('timed out')))]).catch((err) =>
        console.error(`cleanup: ${name}: ${(err as Error).message}`),
      );
    }
  })());
const hardLimit = setTimeout(async () => {
  console.error(`\nSOAK FAILED: the run exceeded its hard limit of ${hardLimitSeconds}s; stopping.`);
  await cleanup();
  process.exit(2);
}, hardLimitSeconds * 1000);
let aborted = false;
// Whatever goes wrong, the soak's database, servers and platform go with it.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.once(event, async (err: unknown) => {
    aborted = true;
    console.error(`\nSOAK FAILED: ${event}: ${(err as Error)?.stack ?? err}`);
    await cleanup();
    process.exit(1);
  });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    aborted = true;
    console.error(`\n${signal}: stopping and cleaning up`);
    await cleanup();
    process.exit(130);
  });
}

// ------------------------------------------------------------------ the platform's own process

interface Runner {
  child: ChildProcess;
  pid: number;
  gatewayUrl: string;
  urls: Record<string, string>;
  sample(): Promise<RunnerSample>;
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

async function startRunner(env: Record<string, string>, logFile: string): Promise<Runner> {
  const local = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
  const nodeBin = existsSync(local) ? local : process.execPath;
  const out = openSync(logFile, 'a');
  const child = spawn(nodeBin, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./soak/platform-runner.ts', import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out, 'ipc'],
  });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<{ pid: number; gatewayUrl: string; urls: Record<string, string> }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the platform did not start within 180 s')), 180_000);
    child.on('message', (m: any) => {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      resolve(m);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      let tail = '';
      try {
        tail = readFileSync(logFile, 'utf8').slice(-3000);
      } catch {
        // no log
      }
      // Once ready this rejects a settled promise: nothing happens.
      reject(new Error(`the platform exited with ${code} while starting; its log: ${logFile}\n${tail}`));
    });
  });
  let nextId = 0;
  const pending = new Map<number, (s: RunnerSample) => void>();
  child.on('message', (m: any) => {
    if (m?.type === 'sample') pending.get(m.id)?.(m);
  });
  return {
    child,
    ...ready,
    exited,
    sample: () =>
      new Promise<RunnerSample>((resolve, reject) => {
        const id = ++nextId;
        const timer = setTimeout(() => reject(new Error('the platform did not answer a memory sample within 30 s')), 30_000);
        pending.set(id, (s) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(s);
        });
        child.send({ type: 'sample', id });
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' });
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Counts the platform's log lines by pino level, and keeps the first few error lines. */
function readLog(file: string) {
  const levels: Record<string, number> = {};
  const errors: string[] = [];
  const names: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  const warnMessages = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let entry: any;
    try {
      entry = JSON.parse(line);
    } catch {
      levels['not JSON'] = (levels['not JSON'] ?? 0) + 1;
      if (errors.length < 5) errors.push(line.slice(0, 300));
      continue;
    }
    const level = names[entry.level] ?? String(entry.level);
    levels[level] = (levels[level] ?? 0) + 1;
    if (entry.level >= 50 && errors.length < 5) errors.push(line.slice(0, 500));
    if (entry.level === 40) warnMessages.set(entry.msg, (warnMessages.get(entry.msg) ?? 0) + 1);
  }
  return { levels, errors, warnMessages };
}

// ------------------------------------------------------------------ report

function table(title: string, header: string[], rows: (string | number)[][]) {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(1)) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) =>
    `| ${r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
  for (const r of cells.slice(1)) console.log(line(r));
}

function printStats(title: string, stats: Stats, seconds: number) {
  const rows = [...stats.kinds.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, k]) => [
      kind,
      k.ok,
      k.expectedErrors,
      k.errors,
      Math.round((k.ok + k.expectedErrors) / seconds),
      percentile(k.latencies, 50),
      percentile(k.latencies, 99),
    ]);
  table(title, ['kind', 'served ok', 'expected errors', 'unexpected errors', 'per s', 'p50 ms', 'p99 ms'], rows);
  const codes: (string | number)[][] = [];
  for (const [kind, byCode] of stats.expected) for (const [code, n] of byCode) codes.push([kind, code, 'expected', n]);
  for (const [kind, byCode] of stats.errors) for (const [code, n] of byCode) codes.push([kind, code, 'UNEXPECTED', n]);
  if (codes.length) table(`${title}: errors by code`, ['kind', 'code / status', 'kind of error', 'count'], codes);
  else console.log('\nerrors by code: none');
  if (stats.examples.length) console.log(`\nfirst unexpected errors:\n${stats.examples.map((e) => `  - ${e}`).join('\n')}`);
}

interface Limit {
  resource: string;
  /** The highest end value that is not a leak, from the start value. */
  limit: (start: number) => number;
  rule: string;
}

const LIMITS: Limit[] = [
  { resource: 'heap used after GC (MB)', limit: (s) => s + Math.max(30, 0.2 * s), rule: '+max(30 MB, 20%)' },
  // RSS comes back down only because the runner's last collection is V8's "last resort" one,
  // which returns the pages V8 keeps for reuse (see platform-runner.ts).
  { resource: 'RSS after GC (MB)', limit: (s) => s + Math.max(64, 0.2 * s), rule: '+max(64 MB, 20%)' },
  { resource: 'V8 heap committed after GC (MB)', limit: (s) => s + Math.max(64, 0.3 * s), rule: '+max(64 MB, 30%)' },
  { resource: 'RSS less V8 heap after GC (MB)', limit: (s) => s + Math.max(48, 0.2 * s), rule: '+max(48 MB, 20%)' },
  { resource: 'external + array buffers (MB)', limit: (s) => s + 32, rule: '+32 MB' },
  { resource: 'open fds', limit: (s) => s + 10, rule: '+10' },
  { resource: 'open fds less gateway<->subgraph sockets', limit: (s) => s + 10, rule: '+10' },
  { resource: 'process_open_fds (/metrics)', limit: (s) => s + 10, rule: '+10' },
  { resource: 'libuv active resources (not sockets)', limit: (s) => s + 10, rule: '+10' },
  { resource: 'timers (Timeout)', limit: (s) => s + 10, rule: '+10' },
  {
    resource: 'sockets to Postgres',
    limit: (s) => Math.min(s + 2, SUBGRAPHS_WITH_DATABASE * DB_POOL_MAX),
    rule: `+2, at most the pools' ${SUBGRAPHS_WITH_DATABASE * DB_POOL_MAX}`,
  },
  {
    resource: 'Postgres connections (pg_stat_activity)',
    limit: (s) => Math.min(s + 2, SUBGRAPHS_WITH_DATABASE * DB_POOL_MAX),
    rule: `+2, at most the pools' ${SUBGRAPHS_WITH_DATABASE * DB_POOL_MAX}`,
  },
  { resource: 'Postgres idle in transaction > 5 s', limit: () => 0, rule: '0' },
  { resource: 'sockets to Redis', limit: (s) => s, rule: '+0' },
  { resource: 'Redis clients (CLIENT LIST)', limit: (s) => s, rule: '+0' },
  { resource: 'sockets to NATS', limit: (s) => s, rule: '+0' },
  { resource: 'NATS connections (connz)', limit: (s) => s, rule: '+0' },
  { resource: 'NATS subscriptions (connz)', limit: (s) => s, rule: '+0' },
  { resource: 'JetStream consumers (jsz)', limit: (s) => s, rule: '+0' },
  { resource: 'gateway client sockets (WS + HTTP)', limit: (s) => s, rule: '+0' },
  { resource: 'graphql_subscriptions_active (gauge)', limit: () => 0, rule: '0' },
  { resource: 'gateway<->subgraph HTTP sockets', limit: (s) => s, rule: '+0 (idle keep-alive: 65 s)' },
  { resource: 'sockets in CLOSE_WAIT', limit: (s) => s, rule: '+0' },
];

/** Resources counted without a GC (everything but memory): what a settle waits on. */
const COUNTED = LIMITS.filter((l) => !l.resource.includes('(MB)') && !l.resource.startsWith('libuv') && !l.resource.startsWith('timers'));

/**
 * Waits at least `minSeconds`, then until the platform is idle: no client socket and no live
 * subscription; given the start levels (the end's settle), also every counted resource within its
 * limit, which includes the gateway's keep-alive sockets to the subgraphs being closed (the
 * subgraphs keep idle HTTP connections 65 s, so that is what takes longest); at most
 * `maxSeconds`. Returns how long it took.
 */
async function settle(
  census: Census,
  minSeconds: number,
  maxSeconds: number,
  start?: Figures,
): Promise<{ seconds: number; idle: boolean }> {
  const t0 = Date.now();
  await sleep(minSeconds * 1000);
  for (;;) {
    const f = await census.quick();
    const idle =
      f['gateway client sockets (WS + HTTP)'] === 0 &&
      f['graphql_subscriptions_active (gauge)'] === 0 &&
      (!start || f['gateway<->subgraph HTTP sockets'] === 0) &&
      (!start || COUNTED.every(({ resource, limit }) => f[resource] <= limit(start[resource])));
    const seconds = Math.round((Date.now() - t0) / 1000);
    if (idle || seconds >= maxSeconds) return { seconds, idle };
    await sleep(5_000);
  }
}

// ------------------------------------------------------------------ the run

let exitCode = 0;
try {
  const baseDatabaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const pgPort = Number(new URL(baseDatabaseUrl).port || 5432);
  console.log(`# Soak (run ${runId}, node ${process.version}, SOAK_SCALE=${scale})`);
  console.log(
    `plan: ${plan.users} users, ${plan.wsCycles} WS cycles (${plan.wsConcurrency} at once), mixed HTTP on ${plan.httpConcurrency} workers (at most ${plan.httpMax}), ` +
      `${plan.stockWatchers} stock watchers, ${plan.orderWatchers} order watchers (at most ${plan.orderWatchMax}); load phase at most ${maxLoadSeconds}s, settles ${settleSeconds}-${settleMaxSeconds}s, hard limit ${hardLimitSeconds}s`,
  );

  const database = await createDatabase(baseDatabaseUrl, `soak_${runId}`);
  cleanups.push({ name: `drop database ${database.name}`, run: () => database.drop() });
  const redis = await startRedis();
  cleanups.push({ name: 'redis-server', run: () => redis.stop() });
  const nats = await startNats();
  cleanups.push({ name: 'nats-server', run: () => nats.stop() });
  const namespace = `soak${runId}`;
  cleanups.push({
    name: 'namespace streams',
    run: async () => {
      const { NatsEventBus } = await import('@app/events');
      const bus = await NatsEventBus.connect({ url: nats.url, namespace });
      await bus.deleteNamespaceStreams();
      await bus.close();
    },
  });
  log(
    `own database ${database.name}, redis-server :${redis.port}, nats-server :${nats.port} (monitoring ${nats.monitorUrl}), namespace ${namespace}`,
  );

  const admin = { username: `soak_admin_${runId}`, password: `soak-admin-${randomBytes(8).toString('hex')}` };
  const operatorToken = randomBytes(24).toString('base64url');
  const applicationName = `soak-platform-${runId}`;
  const logFile = join(tmpdir(), `soak-${runId}-platform.log`);
  const runner = await startRunner(
    {
      NODE_ENV: 'production',
      // The users log in once, at the start: their tokens (15 min by default) must outlive the run.
      ACCESS_TOKEN_TTL: String(Math.max(900, Math.ceil(hardLimitSeconds) + 60)),
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      NATS_URL: nats.url,
      NATS_NAMESPACE: namespace,
      // node-postgres names every connection it opens with this: how pg_stat_activity tells the platform's.
      PGAPPNAME: applicationName,
      DB_POOL_MAX: String(DB_POOL_MAX),
      SIGNING_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      INTERNAL_API_KEY: randomBytes(32).toString('base64url'),
      OPERATOR_TOKEN: operatorToken,
      ADMIN_USERNAME: admin.username,
      ADMIN_PASSWORD: admin.password,
      ADMIN_EMAIL: `${admin.username}@example.com`,
      // Every request comes from 127.0.0.1: the per-user and per-address windows would throttle
      // the load itself (the rate limiter still runs, with its Redis round trips, on every request).
      RATE_LIMIT_USER: '100000000',
      RATE_LIMIT_ANONYMOUS: '100000000',
    },
    logFile,
  );
  cleanups.push({ name: 'platform process', run: () => runner.stop() });
  let platformExited: number | null | undefined;
  void runner.exited.then((code) => (platformExited = code));
  log(`platform up (pid ${runner.pid}, production settings), gateway ${runner.urls.gateway}; its log: ${logFile}`);

  const gatewayPort = Number(new URL(runner.urls.gateway).port);
  const census = new Census({
    pid: runner.pid,
    gatewayPort,
    servicePorts: Object.values(runner.urls).map((u) => Number(new URL(u).port)),
    postgres: { adminUrl: baseDatabaseUrl, database: database.name, applicationName, port: pgPort },
    redis: { url: redis.url, port: redis.port },
    nats: { monitorUrl: nats.monitorUrl, port: nats.port, streamPrefix: `${namespace.toUpperCase()}_` },
    metricsUrl: `${runner.urls.gateway}/metrics`,
    operatorToken,
    sample: () => runner.sample(),
  });
  cleanups.push({ name: 'census connections', run: () => census.close() });
  const wsUrl = runner.gatewayUrl.replace(/^http/, 'ws');

  // ---------------------------------------------------------------- setup and warm-up
  const setupStats = new Stats();
  const http = new HttpClient(runner.urls.gateway, setupStats, plan.httpConcurrency + plan.orderWatchers + 4);
  cleanups.push({ name: 'http agent', run: async () => http.close() });
  const fixtures: Fixtures = await createFixtures(http, admin, { users: plan.users, products: plan.products });
  log(`setup: ${fixtures.users.length} users registered, logged in and with an order each; ${fixtures.productIds.length} products`);

  // Every kind of request, every way a cycle ends, both subscriptions: JIT, query plans, pools,
  // and the gateway's one bus subscription per live subject exist before the start is counted.
  for (const op of OPS)
    for (let i = 0; i < 3; i++) await op.run(http, fixtures, fixtures.users[i % fixtures.users.length]).catch(() => undefined);
  const warmCycles = newCycleCounters();
  for (let i = 0; i < 40; i++) await wsCycle(i, wsUrl, fixtures, setupStats, warmCycles);
  const warmWatcher = await startStockWatcher(wsUrl, fixtures, setupStats);
  const warmOrders: OrderWatchCounters = { cycles: 0, events: 0, statuses: {} };
  await orderWatchCycle(http, wsUrl, fixtures, fixtures.users[0], setupStats, warmOrders).catch(() => undefined);
  await warmWatcher.stop();
  http.close();
  log(
    `warm-up done (${setupStats.served} requests, ${warmCycles.done} WS cycles, ${warmOrders.cycles} order watched); settling (${settleSeconds}-${startSettleMaxSeconds}s, until idle)`,
  );
  const startSettle = await settle(census, settleSeconds, startSettleMaxSeconds);
  const start = await census.settled();
  log(
    `start levels counted (settled ${startSettle.seconds}s${startSettle.idle ? ', idle' : ', NOT idle'}; a forced full GC pauses the platform ${start['GC pause (ms)']} ms)`,
  );

  // ---------------------------------------------------------------- load, in two rounds
  // The same work twice, with everything counted at rest in between (clients gone, after GC): a
  // leak shows as a step at each round, where a cache or a pool that fills once shows one step.
  const stats = new Stats();
  http.stats = stats;
  const cycles = newCycleCounters();
  const orders: OrderWatchCounters = { cycles: 0, events: 0, statuses: {} };
  const loadStart = Date.now();
  const deadline = loadStart + maxLoadSeconds * 1000;
  const inTime = () => Date.now() < deadline && platformExited === undefined && !aborted;
  let loadDone = false;
  let nextCycle = 0;
  let httpSent = 0;
  let orderWatches = 0;
  const trend: Figures[] = [];
  const trendTimes: number[] = [];
  const watchers: { round: number; anonymous: boolean; watcher: StockWatcher }[] = [];

  const sampler = (async () => {
    while (!loadDone) {
      await Promise.race([
        sleep(15_000),
        new Promise<void>((resolve) => {
          const t = setInterval(() => {
            if (loadDone) {
              clearInterval(t);
              resolve();
            }
          }, 250);
        }),
      ]);
      if (loadDone) break;
      try {
        // No forced GC here: a full collection stalls every service in the process at once (and
        // a stall past 1 s times out their Redis commands); memory is compared after GCs at rest.
        const f = await census.quick();
        trend.push({ ...f, 'WS cycles done': cycles.done, 'HTTP requests sent': httpSent });
        trendTimes.push(Math.round((Date.now() - loadStart) / 1000));
        log(
          `load: ${cycles.done}/${plan.wsCycles} WS cycles, ${httpSent} HTTP, ${orders.cycles} orders watched; gateway client sockets ${f['gateway client sockets (WS + HTTP)']}, ` +
            `live subscriptions ${f['graphql_subscriptions_active (gauge)']}, fds ${f['open fds']}, heap ${f['heap used, no GC (MB)']} MB, RSS ${f['RSS (MB)']} MB`,
        );
      } catch (err) {
        if (!aborted) log(`trend sample failed: ${(err as Error).message}`);
      }
    }
  })();

  const runRound = async (round: number, lastCycle: number) => {
    for (let i = 0; i < plan.stockWatchers; i++) {
      const anonymous = i % 2 === 0;
      watchers.push({
        round,
        anonymous,
        watcher: await startStockWatcher(wsUrl, fixtures, stats, anonymous ? undefined : fixtures.users[i % fixtures.users.length].token),
      });
    }
    let wsDone = false;
    const wsLoad = pool(
      plan.wsConcurrency,
      () => nextCycle < lastCycle && inTime(),
      async () => {
        const i = nextCycle++;
        await wsCycle(i, wsUrl, fixtures, stats, cycles);
      },
    ).finally(() => (wsDone = true));
    const httpLoad = pool(
      plan.httpConcurrency,
      () => !wsDone && httpSent < plan.httpMax && inTime(),
      async (worker) => {
        httpSent++;
        const op = pickOp();
        await op.run(http, fixtures, fixtures.users[(httpSent + worker) % fixtures.users.length]);
      },
    );
    const orderLoad = pool(
      plan.orderWatchers,
      () => !wsDone && orderWatches < plan.orderWatchMax && inTime(),
      async (worker) => {
        orderWatches++;
        await orderWatchCycle(http, wsUrl, fixtures, fixtures.users[(orderWatches * 7 + worker) % fixtures.users.length], stats, orders);
      },
    );
    await Promise.all([wsLoad, httpLoad, orderLoad]);
    for (const { watcher } of watchers.filter((w) => w.round === round)) await watcher.stop();
    http.close();
  };

  const half = Math.ceil(plan.wsCycles / 2);
  await runRound(1, half);
  log(`round 1 done (${cycles.done} WS cycles); memory at rest`);
  await settle(census, 2, 20);
  const mid = await census.settled(2, 500);
  log(`round 1 levels counted (heap ${mid['heap used after GC (MB)']} MB, RSS ${mid['RSS after GC (MB)']} MB after GC); round 2`);
  await runRound(2, plan.wsCycles);
  loadDone = true;
  await sampler;
  const loadSeconds = (Date.now() - loadStart) / 1000;
  log(`load done in ${loadSeconds.toFixed(0)}s; settling (${settleSeconds}-${settleMaxSeconds}s, until idle and back to the start levels)`);
  const endSettle = await settle(census, settleSeconds, settleMaxSeconds, start);
  if (platformExited !== undefined)
    throw new Error(`the platform process exited (code ${platformExited}) during the run; its log: ${logFile}`);
  const end = await census.settled();
  log(
    `end levels counted (settled ${endSettle.seconds}s${endSettle.idle ? ', idle and back to the start levels' : ', NOT back to the start levels'}; a forced full GC pauses the platform ${end['GC pause (ms)']} ms)`,
  );

  // ---------------------------------------------------------------- report
  console.log('\n## Results');
  const servedWhere = (pred: (kind: string) => boolean) =>
    [...stats.kinds].filter(([kind]) => pred(kind)).reduce((sum, [, k]) => sum + k.ok + k.expectedErrors, 0);
  const gqlServed = servedWhere((k) => k.startsWith('gql '));
  const restServed = servedWhere((k) => k.startsWith('rest '));
  console.log(
    `\nserved during the load (${loadSeconds.toFixed(0)}s): ${gqlServed + restServed} HTTP requests (${gqlServed} GraphQL, ${restServed} REST; ok and expected errors), ` +
      `${stats.kinds.get('ws connect + ack')?.ok ?? 0} WebSocket connections opened (${cycles.done} of them the cycles), ${orders.cycles} orders followed to DELIVERED; ` +
      `unexpected errors: ${stats.unexpectedErrors}`,
  );
  console.log(`setup and warm-up: ${setupStats.served} served, ${setupStats.unexpectedErrors} unexpected errors`);
  printStats('Load: requests by kind', stats, loadSeconds);
  if (setupStats.unexpectedErrors) printStats('Setup and warm-up', setupStats, 1);

  table(
    'WebSocket cycles (connect -> connection_init -> subscribe -> end)',
    ['', 'count'],
    [
      ['completed', cycles.done],
      ['asked for', plan.wsCycles],
      ...Object.entries(cycles.byMode).map(([mode, n]): [string, number] => [`ended: ${mode}`, n]),
      ...Object.entries(cycles.bySubscription).map(([field, n]): [string, number] => [`subscribed: ${field}`, n]),
      ['anonymous', cycles.anonymous],
      ['waited for an event (3 s at most)', cycles.waitedForEvent],
      ['  of which heard none', cycles.waitedNoEvent],
      ['events received in cycles', cycles.eventsReceived],
    ],
  );
  const watcherEvents = watchers.map((w) => w.watcher.events);
  table(
    'Long-lived subscriptions',
    ['', 'count'],
    [
      [`stockUpdated watchers (${plan.stockWatchers} per round, half anonymous)`, watchers.length],
      ['  events each: fewest', Math.min(...watcherEvents)],
      ['  events each: most', Math.max(...watcherEvents)],
      ['  events in all', watcherEvents.reduce((a, b) => a + b, 0)],
      ['orderUpdated: orders placed, followed, shipped and delivered', orders.cycles],
      ['orderUpdated: events received', orders.events],
      ...Object.entries(orders.statuses).map(([s, n]): [string, number] => [`  status ${s}`, n]),
    ],
  );

  if (trend.length) {
    const columns: [string, string][] = [
      ['WS cycles', 'WS cycles done'],
      ['HTTP', 'HTTP requests sent'],
      ['heap MB', 'heap used, no GC (MB)'],
      ['RSS MB', 'RSS (MB)'],
      ['fds*', 'open fds less gateway<->subgraph sockets'],
      ['gw<->sub', 'gateway<->subgraph HTTP sockets'],
      ['clients', 'gateway client sockets (WS + HTTP)'],
      ['live subs', 'graphql_subscriptions_active (gauge)'],
      ['PG', 'Postgres connections (pg_stat_activity)'],
      ['PG tx > 5 s', 'Postgres idle in transaction > 5 s'],
      ['NATS subs', 'NATS subscriptions (connz)'],
      ['CLOSE_WAIT', 'sockets in CLOSE_WAIT'],
    ];
    table(
      'During the load, every 15 s (memory without forcing a GC; fds* = open fds less gateway<->subgraph sockets; clients = WebSocket and HTTP sockets on the gateway)',
      ['t (s)', ...columns.map(([label]) => label)],
      trend.map((f, i) => [trendTimes[i], ...columns.map(([, key]) => f[key])]),
    );
  }

  const leaks: string[] = [];
  table(
    `Resources of the platform process (pid ${runner.pid}): start (after warm-up, settled ${startSettle.seconds}s), after round 1 (clients gone, a few seconds), end (after round 2, settled ${endSettle.seconds}s); lowest of 3 samples 1 s apart (2 after round 1), memory after a full and a last-resort GC`,
    ['resource', 'start', 'after round 1', 'end', 'limit', 'rule', 'verdict'],
    LIMITS.map(({ resource, limit, rule }) => {
      const s = start[resource];
      const m = mid[resource];
      const e = end[resource];
      const max = limit(s);
      const leak = !(e <= max);
      if (leak) leaks.push(`${resource}: ${s} -> ${e} (limit ${Number.isInteger(max) ? max : max.toFixed(1)})`);
      return [resource, s, m, e, Number.isInteger(max) ? max : Math.round(max * 10) / 10, rule, leak ? 'LEAK' : 'ok'];
    }),
  );

  const platformLog = readLog(logFile);
  console.log(`\nplatform log (LOG_LEVEL=warn) lines by level: ${JSON.stringify(platformLog.levels)}`);
  if (platformLog.warnMessages.size) console.log(`warnings: ${[...platformLog.warnMessages].map(([m, n]) => `${n} x "${m}"`).join('; ')}`);
  if (platformLog.errors.length) console.log(`first error lines:\n${platformLog.errors.map((e) => `  ${e}`).join('\n')}`);

  const failures: string[] = [];
  if (leaks.length) failures.push(...leaks.map((l) => `leak: ${l}`));
  const stuckDuringLoad = Math.max(0, ...trend.map((f) => f['Postgres idle in transaction > 5 s'] ?? 0));
  if (stuckDuringLoad) failures.push(`a Postgres transaction stayed idle for over 5 s during the load (${stuckDuringLoad} at once)`);
  if (stats.unexpectedErrors) failures.push(`${stats.unexpectedErrors} unexpected errors during the load`);
  if (setupStats.unexpectedErrors) failures.push(`${setupStats.unexpectedErrors} unexpected errors during setup and warm-up`);
  if (cycles.done < plan.wsCycles)
    failures.push(`only ${cycles.done} of ${plan.wsCycles} WebSocket cycles completed within ${maxLoadSeconds}s`);
  if (!cycles.eventsReceived) failures.push('no WebSocket cycle heard a stockUpdated event');
  for (const [i, w] of watchers.entries()) if (!w.watcher.events) failures.push(`stock watcher ${i + 1} (round ${w.round}) heard no event`);
  if (plan.orderWatchers && !orders.cycles) failures.push('no orderUpdated subscription heard its order shipped and delivered');
  if ((platformLog.levels.error ?? 0) + (platformLog.levels.fatal ?? 0))
    failures.push(`the platform logged ${(platformLog.levels.error ?? 0) + (platformLog.levels.fatal ?? 0)} errors`);

  console.log(`\ntotal time ${elapsed()}`);
  if (failures.length) {
    console.log(`\nSOAK FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}\n(the platform's log is kept: ${logFile})`);
    exitCode = 1;
  } else {
    console.log('\nSOAK PASSED: no leak, no unexpected error.');
    cleanups.unshift({ name: 'platform log', run: async () => rmSync(logFile, { force: true }) });
  }
} catch (err) {
  if (!aborted) console.error(`\nSOAK FAILED: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  const t0 = Date.now();
  await cleanup();
  clearTimeout(hardLimit);
  console.log(
    `cleaned up in ${((Date.now() - t0) / 1000).toFixed(1)}s (platform stopped, namespace streams deleted, own servers stopped, database dropped)`,
  );
}
process.exit(exitCode);

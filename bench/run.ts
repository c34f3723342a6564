/**
 * `npm run bench`: figures and ratios, never pass/fail. Uses the real Postgres, Redis and NATS
 * on their standard local ports (override with DATABASE_URL / REDIS_URL / NATS_URL), or the
 * embedded mode with BENCH_EMBEDDED=1. BENCH_SECONDS sets each measurement's length (default 5);
 * BENCH_ORDERS the saga run's order count (default 200); BENCH_SUBSCRIBERS the fan-out's (default 200);
 * BENCH_SAGA_RATE, BENCH_SAGA_SECONDS the saga's goal run (default 100/s, BENCH_SECONDS), BENCH_SAGA_WARMUP the
 * orders at that rate before it, untimed (default 1000; 0: none); BENCH_SAGA_RAMP
 * the rates of its ramp after it (default 20,40,60,80; empty: none);
 * BENCH_USERS the accounts whose tokens `me` and the gateway comparison send in turn (default 100);
 * BENCH_ONLY a comma-separated subset of: tokens, idle, me, gateways, rest, map, line, saga, fanout, subscribers;
 * BENCH_CPU_PROF a folder for V8 CPU profiles (node --cpu-prof) of the platform's processes and the compared gateways';
 * BENCH_CPU_PER_SUBGRAPH=1 the CPU columns per subgraph process instead of all subgraphs together.
 * Last, the issue's table: each goal beside this run's figure (bench/goals.ts), with how fast the
 * machine was before and after the run (bench/host-speed.ts): a VM's speed varies with its neighbours.
 */
import { randomBytes } from 'node:crypto';
import { benchAtRest } from './at-rest.js';
import { benchFanout } from './fanout.js';
import { BENCH_ADMIN } from './fixtures.js';
import { benchGateways } from './gateways.js';
import { type BenchResults, goalRows } from './goals.js';
import { formatHostSpeed, hostSpeed } from './host-speed.js';
import { collectGarbage, printTable, startPlatformProcess } from './lib.js';
import { benchLineWebhook } from './line-webhook.js';
import { benchMapGeneration } from './map.js';
import { benchMe } from './me.js';
import { benchRestFacade } from './rest-facade.js';
import { benchSaga } from './saga.js';
import { createDatabase } from './soak/infra.js';
import { benchSubscribers } from './subscribers.js';
import { benchTokenVerification } from './token-verification.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const users = Number(process.env.BENCH_USERS ?? 100);
const embedded = process.env.BENCH_EMBEDDED === '1';
const runId = randomBytes(4).toString('hex');
// First, with nothing of the run's started yet (a failed probe leaves no database behind).
const hostBefore = await hostSpeed();
// A database of the run's own: the services' schemas are fixed, so another platform on the same
// database would relay this one's outbox rows (saga commands) into its own NATS namespace.
const database = embedded
  ? undefined
  : await createDatabase(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', `bench_${runId}`);
const env = embedded
  ? { DATABASE_URL: '', REDIS_URL: '', NATS_URL: '' }
  : {
      DATABASE_URL: database!.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      NATS_NAMESPACE: `bench${runId}`,
    };

console.log(
  `# Benchmarks (${seconds}s per measurement, node ${process.version}, ${env.DATABASE_URL ? 'real Postgres/Redis/NATS' : 'embedded'})`,
);
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
/** Whether the benchmark runs; if it does, it starts from a collected heap (collectGarbage). */
const begins = (name: string) => {
  const runs = !only || only.includes(name);
  if (runs) collectGarbage();
  return runs;
};

const results: BenchResults = { hostBefore };
console.log(`This machine's speed before the run: ${formatHostSpeed(hostBefore)}`);
if (begins('tokens'))
  results.tokens = await benchTokenVerification({ redisUrl: env.REDIS_URL || undefined, natsUrl: env.NATS_URL || undefined });
// Known to the bench too: the LINE benchmark's own gateway calls the platform's auth with it.
const internalApiKey = randomBytes(32).toString('base64url');
const platform = await startPlatformProcess({
  ...env,
  ADMIN_USERNAME: BENCH_ADMIN.username,
  ADMIN_PASSWORD: BENCH_ADMIN.password,
  INTERNAL_API_KEY: internalApiKey,
  // Sign-ins happen only while the bench sets up (1,000 of them for the 10,000-subscriber run);
  // no measured request hashes a password, so a cheaper argon2 cost changes no figure.
  PASSWORD_HASH_MEMORY_KIB: '1024',
  PASSWORD_HASH_PASSES: '1',
}).catch(async (err: unknown) => {
  await database?.drop();
  throw err;
});
// With NATS the bench hears the saga's transitions, and publishes the 10,000-subscriber run's
// events, on the platform's own namespace.
const { NatsEventBus } = await import('@app/events');
const bus = env.NATS_URL ? await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE }) : undefined;
try {
  // First, while nothing else has run: what the platform costs the machine with no load at all.
  if (begins('idle')) await benchAtRest(platform, seconds);
  if (begins('me')) results.me = await benchMe(platform, { seconds, rounds: 2, users });
  if (begins('gateways')) {
    // Our gateway gets the platform's Redis and NATS: its token checks, limits and revocation as in production.
    const gatewayEnv = { REDIS_URL: env.REDIS_URL, NATS_URL: env.NATS_URL, NATS_NAMESPACE: env.NATS_NAMESPACE };
    results.gateways = await benchGateways(platform, { seconds, rounds: 2, users, env: gatewayEnv });
  }
  if (begins('rest')) await benchRestFacade(platform, seconds);
  if (begins('map')) await benchMapGeneration(platform, seconds);
  if (begins('line')) await benchLineWebhook(platform, seconds, { internalApiKey, databaseUrl: env.DATABASE_URL || undefined });
  if (begins('saga')) results.saga = await benchSaga(platform, { orders: Number(process.env.BENCH_ORDERS ?? 200), concurrency: 8, bus });
  if (begins('fanout')) {
    results.fanout = [];
    for (const distinctUsers of [false, true])
      results.fanout.push(
        ...(await benchFanout(platform, { subscribers: Number(process.env.BENCH_SUBSCRIBERS ?? 200), events: 20, distinctUsers })),
      );
  }
  // The bounded 10,000-subscriber run (bench/subscribers.ts; BENCH_SUBSCRIBERS_10K sets its size).
  if (begins('subscribers')) results.subscribers = await benchSubscribers(platform, { bus });
  results.hostAfter = await hostSpeed();
  printTable('Issue 14: this run against the goals (figures from one run on this machine)', goalRows(results));
} finally {
  await platform.stop();
  if (bus) {
    await bus.deleteNamespaceStreams();
    await bus.close();
  }
  await database?.drop();
}

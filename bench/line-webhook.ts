import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type FakeLine, startFakeLine } from '../tests/support/fake-line.js';
import { graphql, type PlatformProcess, printTable, startChild } from './lib.js';

const BENCH_PRESS = '18d0185e-292a-5034-a18f-8533db4e8435';
const USERS = 16;
/** A reply not seen by then counts as an error (the sender moves on). */
const REPLY_TIMEOUT_MS = 30_000;

export interface LineBenchOptions {
  /** The platform's INTERNAL_API_KEY (shared by its auth service and the LINE gateway started here). */
  internalApiKey?: string;
  /** The platform's Postgres, to link bench accounts to LINE users (as LINE Login would). */
  databaseUrl?: string;
  /** Closed-loop senders per scenario. */
  connections?: number[];
}

interface Run {
  events: number;
  seconds: number;
  /** POST -> the fake recorded the reply (ms). */
  latencies: number[];
  /** POST -> 200 (ms). */
  acks: number[];
  errors: number;
}

/**
 * The LINE webhook end to end: events/s from the signature check to the reply the fake LINE
 * records, and latency from POST to that reply. A LINE gateway runs in its own process against
 * the platform's subgraphs and NATS; each sender posts one signed event, waits for its reply,
 * posts the next. Scenarios: a linked user adding a set (auth lookup, ongoingWorkout and
 * addWorkoutSet through the supergraph, reply) and an unlinked user (auth lookup, login link).
 * Needs the platform's INTERNAL_API_KEY and a real Postgres (skipped when embedded).
 */
export async function benchLineWebhook(platform: PlatformProcess, seconds: number, options: LineBenchOptions = {}) {
  const internalApiKey = options.internalApiKey ?? process.env.INTERNAL_API_KEY;
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (platform.embedded.database || !internalApiKey) {
    console.log('\n## LINE webhook: skipped (needs a real Postgres and the platform started with INTERNAL_API_KEY)');
    return [];
  }
  const fake = await startFakeLine();
  const gateway = await startChild<{ url: string }>('./line-gateway-process.ts', [JSON.stringify(platform.urls)], {
    INTERNAL_API_KEY: internalApiKey,
    LINE_CHANNEL_SECRET: fake.messaging.channelSecret,
    LINE_CHANNEL_ACCESS_TOKEN: fake.messaging.channelAccessToken,
    LINE_API_URL: fake.url,
    RATE_LIMIT_USER: '100000000',
  });
  try {
    const webhook = `${gateway.url}/line/webhook`;
    const linked = await linkedLineUsers(platform, databaseUrl, USERS);
    const replied = replyWatcher(fake);
    await send(
      fake,
      webhook,
      replied,
      linked.map((sub) => fake.events.postback(sub, 'action=start')),
    );
    const addSet = (i: number, n: number) =>
      fake.events.postback(linked[(i + n) % linked.length]!, `action=add_set&exerciseId=${BENCH_PRESS}&reps=10&weight=60`);
    const unlinked = () => fake.events.text(`U${randomBytes(16).toString('hex')}`, '開始');
    const rows = [];
    for (const connections of options.connections ?? [1, 8]) {
      for (const [scenario, make] of [
        ['add_set, linked user', addSet],
        ['unlinked user (login link)', unlinked],
      ] as const) {
        await closedLoop(fake, webhook, replied, 1, connections, make);
        const run = await closedLoop(fake, webhook, replied, seconds, connections, make);
        rows.push(row(`${scenario}, ${connections} sender(s)`, run));
      }
    }
    printTable('LINE webhook: signed POST -> stored -> 200 -> consumer -> reply at the fake (serial consumer)', rows);
    return rows;
  } finally {
    await gateway.stop();
    await fake.close();
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

function row(scenario: string, run: Run) {
  const latencies = [...run.latencies].sort((a, b) => a - b);
  const acks = [...run.acks].sort((a, b) => a - b);
  return {
    scenario,
    'events/s': Math.round(run.events / run.seconds),
    'p50 ms': percentile(latencies, 50),
    'p99 ms': percentile(latencies, 99),
    '200 p50 ms': percentile(acks, 50),
    '200 p99 ms': percentile(acks, 99),
    errors: run.errors,
  };
}

/** Accounts registered through the gateway and linked to LINE users in auth.users. */
async function linkedLineUsers(platform: PlatformProcess, databaseUrl: string, count: number): Promise<string[]> {
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const subs: string[] = [];
    for (let i = 0; i < count; i++) {
      const username = `bench_line_${randomBytes(4).toString('hex')}`;
      const { register } = await graphql(platform.gatewayUrl, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', {
        i: { username, email: `${username}@example.com`, password: `bench-${randomBytes(6).toString('hex')}-1` },
      });
      const sub = `U${randomBytes(16).toString('hex')}`;
      await db.query('update auth.users set line_user_id = $1 where id = $2', [sub, register.id]);
      subs.push(sub);
    }
    return subs;
  } finally {
    await db.end();
  }
}

type ReplyWatcher = (replyToken: string) => Promise<number>;

/** Resolves with the time (ms since epoch) the fake recorded the reply to a token, without polling. */
function replyWatcher(fake: FakeLine): ReplyWatcher {
  const waiting = new Map<string, (at: number) => void>();
  const push = fake.replies.push.bind(fake.replies);
  fake.replies.push = (...replies) => {
    for (const reply of replies) waiting.get(reply.replyToken)?.(reply.at.getTime());
    return push(...replies);
  };
  return (replyToken) => new Promise((resolve) => waiting.set(replyToken, (at) => (waiting.delete(replyToken), resolve(at))));
}

async function post(fake: FakeLine, webhook: string, event: object): Promise<Response> {
  const body = JSON.stringify(fake.events.batch(event));
  return fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': fake.sign(body) }, body });
}

async function send(fake: FakeLine, webhook: string, replied: ReplyWatcher, events: object[]) {
  for (const event of events) {
    const reply = replied((event as { replyToken: string }).replyToken);
    if ((await post(fake, webhook, event)).status !== 200) throw new Error('LINE webhook refused a bench event');
    await reply;
  }
}

async function closedLoop(
  fake: FakeLine,
  webhook: string,
  replied: ReplyWatcher,
  seconds: number,
  connections: number,
  make: (sender: number, n: number) => object,
): Promise<Run> {
  const run: Run = { events: 0, seconds, latencies: [], acks: [], errors: 0 };
  const begun = Date.now();
  const deadline = begun + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, sender) => {
      for (let n = 0; Date.now() < deadline; n++) {
        const event = make(sender, n) as { replyToken: string };
        const reply = replied(event.replyToken);
        const started = Date.now();
        const res = await post(fake, webhook, event);
        run.acks.push(Date.now() - started);
        await res.arrayBuffer();
        if (res.status !== 200) {
          run.errors++;
          continue;
        }
        const repliedAt = await Promise.race([reply, sleep(REPLY_TIMEOUT_MS).then(() => null)]);
        if (repliedAt === null) {
          run.errors++;
          continue;
        }
        run.latencies.push(repliedAt - started);
        run.events++;
      }
    }),
  );
  // The last round of each sender ends after the deadline: rate over the real elapsed time.
  return { ...run, seconds: (Date.now() - begun) / 1000 };
}

/** Three queries through three gateways over the same subgraphs, with many users' tokens in turn. */
import type autocannon from 'autocannon';
import { BENCH_ADMIN, type BenchUser, benchUsers, CREATE_ORDER, login, seedProducts, untilOrderable } from './fixtures.js';
import {
  alternate,
  answersOf,
  type CpuProbe,
  cpuColumns,
  graphql,
  inTurn,
  type PlatformProcess,
  platformProbes,
  postgresProbe,
  printIdleCpu,
  printTable,
  startChild,
  startChildren,
  withoutGraphqlErrors,
} from './lib.js';

const DEEP_QUERY = `query Deep($userId: ID!) {
  userOrders(userId: $userId, limit: 10) {
    id status totalAmount createdAt
    items { quantity price subtotal product { id name price category { id name } } }
    user { id username }
  }
}`;
const CATALOG_QUERY = `query Catalog($categoryId: ID!) {
  products(categoryId: $categoryId, limit: 20) { id name price category { id name } }
}`;
const ME_QUERY = '{ me { id username profile { locale displayName } } }';
const CATALOG_SIZE = 20;
const ORDERS_PER_USER = 3;

const KINDS = [
  { kind: 'ours', label: 'our gateway (auth, limits, APQ)' },
  { kind: 'hive', label: '@graphql-hive/gateway CLI' },
  { kind: 'apollo', label: 'plain @apollo/gateway' },
] as const;

export interface GatewayRatio {
  query: string;
  /** Our req/s over theirs: above 1 is faster. */
  vsHive: number;
  vsApollo: number;
}

export interface GatewayComparison {
  rows: Record<string, string | number>[];
  /** One per query, then the geometric mean over them. */
  ratios: GatewayRatio[];
}

interface Query {
  name: string;
  /** One request per user (tokens in turn) or one anonymous request. */
  requests: autocannon.Request[];
}

const request = (body: unknown, token?: string): autocannon.Request => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

/** Users with orders of their own (all settled, so every gateway reads the same statuses) and a public catalog category. */
async function prepare(url: string, userCount: number) {
  const admin = await login(url, BENCH_ADMIN.username, BENCH_ADMIN.password);
  const products = await seedProducts(url, admin, CATALOG_SIZE, 1_000_000);
  const { product } = await graphql(url, 'query($id: ID!) { product(id: $id) { categoryId } }', { id: products[0] });
  const users = await benchUsers(url, userCount);
  const ordered = products.slice(0, 4);
  await untilOrderable(url, users[0].token, ordered);
  let next = 0;
  const place = async (user: BenchUser, n: number) => {
    const items = ordered.map((productId, i) => ({ productId, quantity: ((n + i) % 3) + 1 }));
    // Setting up, not measuring: an order refused as unavailable (load shedding on a busy machine) is placed again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await graphql(url, CREATE_ORDER, { i: { items } }, user.token);
      } catch (err) {
        if (attempt === 5 || !/SERVICE_UNAVAILABLE/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 1_000 * attempt));
      }
    }
  };
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = next++; i < users.length * ORDERS_PER_USER; i = next++) await place(users[i % users.length], i);
    }),
  );
  for (const user of users) await untilSettled(url, user);
  return { users, categoryId: product.categoryId as string };
}

async function untilSettled(url: string, user: BenchUser) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { userOrders } = await graphql(
      url,
      'query($u: ID!) { userOrders(userId: $u, limit: 50) { status } }',
      { u: user.userId },
      user.token,
    );
    if (!userOrders.some((o: { status: string }) => o.status === 'PENDING' || o.status === 'PROCESSING')) return;
    if (Date.now() > deadline) throw new Error(`orders of ${user.username} still unsettled after 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The same answer from every gateway for every user (16 requests at a time, one gateway after
 * the other), or an error naming the first difference.
 */
async function checkAnswers(gateways: { url: string }[], query: Query) {
  const answers: string[][] = [];
  for (const g of gateways) answers.push(await answersOf(g.url, query.requests));
  for (const [i, theirs] of answers.entries()) {
    const differs = theirs.findIndex((answer, n) => answer !== answers[0][n]);
    if (differs >= 0)
      throw new Error(
        `${query.name}: ${KINDS[i].kind} answers differently: ${theirs[differs].slice(0, 300)} vs ${answers[0][differs].slice(0, 300)}`,
      );
  }
}

const geometricMean = (values: number[]) => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
const ratio = (n: number) => `${n.toFixed(2)}x`;

/**
 * A deep authenticated query, a public catalog list (anonymous) and `me` across two subgraphs,
 * through our gateway, the @graphql-hive/gateway CLI (defaults, plus forwarding the token) and a
 * plain @apollo/gateway, each in its own process over the same subgraphs. Authenticated queries
 * rotate over `users` accounts, each reading its own orders; answers are compared across the
 * gateways for every user before and after timing; rounds alternate over all nine pairs so
 * drift on the machine hits all alike. CPU per process: the gateway's process tree, the
 * subgraphs' processes (or the whole platform when it runs in one process; its own gateway
 * idles meanwhile), Postgres when it runs on this machine, and this process (the load generator).
 */
export async function benchGateways(
  platform: PlatformProcess,
  options: { seconds: number; rounds: number; users: number; env: Record<string, string | undefined> },
): Promise<GatewayComparison> {
  const { users, categoryId } = await prepare(platform.gatewayUrl, options.users);
  const queries: Query[] = [
    { name: 'deep authenticated', requests: users.map((u) => request({ query: DEEP_QUERY, variables: { userId: u.userId } }, u.token)) },
    { name: 'public catalog list', requests: [request({ query: CATALOG_QUERY, variables: { categoryId } })] },
    { name: 'me (users + auth)', requests: users.map((u) => request({ query: ME_QUERY }, u.token)) },
  ];
  const subgraphUrls = Object.fromEntries(Object.entries(platform.urls).filter(([name]) => name !== 'gateway'));
  const gateways = await startChildren(
    KINDS.map((k) => startChild<{ url: string }>('./gateway-process.ts', [k.kind, JSON.stringify(subgraphUrls)], options.env)),
  );
  try {
    for (const query of queries) await checkAnswers(gateways, query);
    const postgres = postgresProbe();
    const probes = (gateway: (typeof gateways)[number]): CpuProbe[] => [
      { label: 'gateway', pid: gateway.child.pid! },
      ...platformProbes(platform, { gateway: false }),
      ...(postgres ? [postgres] : []),
      { label: 'load gen', pid: process.pid, descendants: false },
    ];
    await printIdleCpu([
      ...gateways.map((g, i) => ({ label: KINDS[i].kind, pid: g.child.pid! })),
      ...platformProbes(platform, { gateway: false }),
    ]);
    const scenarios = queries.flatMap((query) =>
      gateways.map((gateway) => ({
        url: gateway.url,
        requests: inTurn(query.requests),
        connections: 16,
        duration: options.seconds,
        verifyBody: withoutGraphqlErrors,
        probes: probes(gateway),
      })),
    );
    const summary = await alternate(scenarios, options.rounds);
    for (const query of queries) await checkAnswers(gateways, query);
    return report(queries, summary, options);
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
  }
}

function report(queries: Query[], summary: Awaited<ReturnType<typeof alternate>>, options: { rounds: number; users: number }) {
  const rows = queries.flatMap((query, q) =>
    KINDS.map((k, i) => {
      const m = summary[q * KINDS.length + i];
      const ours = summary[q * KINDS.length];
      return {
        query: query.name,
        gateway: k.label,
        'req/s': m.rps,
        'p50 ms': m.p50,
        'p99 ms': m.p99,
        'ours vs this': ratio(ours.rps / m.rps),
        errors: m.errors,
        ...cpuColumns(m),
      };
    }),
  );
  const ratios: GatewayRatio[] = queries.map((query, q) => {
    const [ours, hive, apollo] = summary.slice(q * KINDS.length, (q + 1) * KINDS.length);
    return { query: query.name, vsHive: ours.rps / hive.rps, vsApollo: ours.rps / apollo.rps };
  });
  ratios.push({
    query: 'geometric mean',
    vsHive: geometricMean(ratios.map((r) => r.vsHive)),
    vsApollo: geometricMean(ratios.map((r) => r.vsApollo)),
  });
  printTable(
    `Gateways over the same subgraphs: ${options.users} users' tokens in turn (deep: ${ORDERS_PER_USER}-4 orders x 4 items -> product -> category, and user; public list: ${CATALOG_SIZE} products, anonymous), 16 connections, ${options.rounds} alternated rounds; CPU per process`,
    rows,
  );
  printTable(
    'Gateways: ours vs the others (req/s ratio, above 1 = ours faster)',
    ratios.map((r) => ({ query: r.query, 'ours vs Hive': ratio(r.vsHive), 'ours vs plain Apollo': ratio(r.vsApollo) })),
  );
  return { rows, ratios };
}

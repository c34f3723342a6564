/** A deep federated query through three gateways over the same subgraphs. */
import { BENCH_ADMIN, CREATE_ORDER, login, newUser, seedProducts, untilOrderable } from './fixtures.js';
import { alternate, graphql, type PlatformProcess, printTable, startChild } from './lib.js';

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

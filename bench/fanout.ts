/** Subscription fan-out through the gateway. */
import { createClient } from 'graphql-ws';
import { BENCH_ADMIN, login, newUser, percentile, seedProducts } from './fixtures.js';
import { graphql, type PlatformProcess, printTable } from './lib.js';

/**
 * N graphql-ws subscribers on `stockUpdated` of one product (each resolving `product { name }`
 * through the supergraph); M stock changes, one after the other once every subscriber has the
 * previous one. Latency: from sending the stock-changing mutation to each delivery. The selection
 * is the catalog's only, which answers the same whoever asks: one resolution per event serves
 * every subscriber, whoever they are (gateway/src/subscriptions/caller-independence.ts).
 * `distinctUsers` gives every subscriber an account of its own: each token is still checked per
 * event, and each subscriber is still sent its own result.
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

/** The order saga's throughput and createOrder -> CONFIRMED latency. */
import { type EventBus, Subjects } from '@app/events';
import { BENCH_ADMIN, CREATE_ORDER, login, newUser, ORDER_STATUS, percentile, round1, seedProducts, untilOrderable } from './fixtures.js';
import { graphql, type PlatformProcess, printTable } from './lib.js';

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

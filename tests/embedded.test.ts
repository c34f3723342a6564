/**
 * The embedded mode (what `npm start` runs with no service URLs): one process, PGlite over
 * pglite-socket, the in-memory cache and the in-process bus. The same flows work as against the
 * real servers: register, log in, read `me`; an order's saga runs to CONFIRMED over the in-process
 * bus; and subscriptions are fed by it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PORTS, startPlatform, type RunningPlatform } from '../scripts/platform.js';
import { eventually, gql, unique } from './support/client.js';
import { liveClient } from './support/ws.js';

const ADMIN = { username: 'embedded_admin', password: 'embedded-admin-pass-1' };
let platform: RunningPlatform;
let url: string;

async function ok(query: string, variables: Record<string, unknown>, token?: string) {
  const res = await gql(query, variables, { url, token });
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data!;
}

async function login(usernameOrEmail: string, password: string) {
  return (await ok('mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }', { i: { usernameOrEmail, password } })).login as { accessToken: string; user: { id: string } };
}

beforeAll(async () => {
  platform = await startPlatform({
    env: {
      DATABASE_URL: '',
      REDIS_URL: '',
      NATS_URL: '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      SCRYPT_COST: '4096',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      SEED_SAMPLE_CATALOG: 'true',
    },
    ports: FREE_PORTS,
    dataDir: null,
  });
  url = platform.gatewayUrl;
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

describe('embedded mode', () => {
  it('runs on PGlite, the in-memory cache and the in-process bus', () => {
    expect(platform.embedded).toEqual({ database: true, cache: true, bus: true });
  });

  it('a user registers, logs in and reads me { id username profile { locale } } through the gateway', async () => {
    const username = unique('emb');
    const password = 'embedded-pass-123';
    await ok('mutation($i: RegisterInput!) { register(input: $i) { id } }', { i: { username, email: `${username}@example.com`, password } });
    const session = await login(username, password);
    const { me } = await ok('{ me { id username profile { locale } } }', {}, session.accessToken);
    expect(me).toEqual({ id: session.user.id, username, profile: { locale: 'ja-JP' } });
  });

  it('serves the sample catalog, and an order is CONFIRMED with its transitions delivered to a subscriber', async () => {
    const { products } = await ok('{ products(limit: 5) { id name price stockQuantity } }', {});
    expect(products.length).toBeGreaterThan(0);
    const product = products.find((p: { stockQuantity: number }) => p.stockQuantity > 2);
    expect(product).toBeDefined();

    const username = unique('embo');
    const password = 'embedded-pass-123';
    await ok('mutation($i: RegisterInput!) { register(input: $i) { id } }', { i: { username, email: `${username}@example.com`, password } });
    const user = await login(username, password);

    const stock = liveClient({ url });
    const stockSub = stock.subscribe('subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity } }', { ids: [product.id] });
    await new Promise((r) => setTimeout(r, 300));
    const { createOrder } = await ok('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status } }', { i: { items: [{ productId: product.id, quantity: 2 }] } }, user.accessToken);
    const orders = liveClient({ url, token: user.accessToken });
    const orderSub = orders.subscribe('subscription($id: ID!) { orderUpdated(orderId: $id) { id status user { username } } }', { id: createOrder.id });
    try {
      await eventually(async () => (await ok('query($id: ID!) { order(id: $id) { status } }', { id: createOrder.id }, user.accessToken)).order.status === 'CONFIRMED');
      const [stockEvent] = await stockSub.waitFor(1);
      expect(stockEvent.data!.stockUpdated).toEqual({ productId: product.id, newQuantity: product.stockQuantity - 2 });

      const admin = await login(ADMIN.username, ADMIN.password);
      await ok('mutation($id: ID!) { shipOrder(orderId: $id) { id } }', { id: createOrder.id }, admin.accessToken);
      await eventually(async () => orderSub.results.some((r) => r.data?.orderUpdated.status === 'SHIPPED'));
      expect(orderSub.results.at(-1)!.data!.orderUpdated).toEqual({ id: createOrder.id, status: 'SHIPPED', user: { username } });
    } finally {
      await stock.dispose();
      await orders.dispose();
    }
  });
});

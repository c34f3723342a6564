/**
 * GraphQL subscriptions through the gateway (graphql-ws on /graphql): `stockUpdated` and
 * `orderUpdated` fed by NATS fan-out events, with the client's selection resolved through the
 * supergraph as the subscriber; authentication at connection_init, authorization per order,
 * delivery across gateway replicas, and release of subscriptions when clients leave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, loadGatewayConfig, type GatewayService } from '@app/gateway';
import { eventually, gql, loginAdmin, platformEnv, registerAndLogin, unique, type TestUser } from './support/client.js';
import { liveClient, type LiveClient } from './support/ws.js';

const STOCK = `subscription Stock($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity updatedAt product { id name category { name } } } }`;
const ORDER = `subscription Order($id: ID!) {
  orderUpdated(orderId: $id) {
    id status sagaState { state currentStep failureReason }
    items { quantity productName product { name } }
    user { id username }
  }
}`;

let admin: { accessToken: string };
let categoryId: string;
const clients: LiveClient[] = [];
const open = (options: Parameters<typeof liveClient>[0] = {}) => {
  const c = liveClient(options);
  clients.push(c);
  return c;
};

async function createProduct(stockQuantity: number, price = 12.5) {
  const res = await gql(
    'mutation($i: CreateProductInput!) { createProduct(input: $i) { id name } }',
    { i: { name: unique('Live product'), price, stockQuantity, categoryId } },
    { token: admin.accessToken },
  );
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data!.createProduct as { id: string; name: string };
}

const setStock = async (id: string, stockQuantity: number, gatewayUrl?: string) => {
  const res = await gql('mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id stockQuantity } }', { i: { id, stockQuantity } }, { token: admin.accessToken, url: gatewayUrl });
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
};

/** A subscription is live once the gateway has registered it: keep changing the stock until the first event arrives. */
async function primed(sub: ReturnType<LiveClient['subscribe']>, productId: string, gatewayUrl?: string) {
  let n = 0;
  await eventually(async () => {
    if (sub.results.length) return true;
    await setStock(productId, 500 + ++n, gatewayUrl);
    await new Promise((r) => setTimeout(r, 100));
    return sub.results.length > 0;
  });
  await new Promise((r) => setTimeout(r, 200));
  return sub.results.length;
}

beforeAll(async () => {
  admin = await loginAdmin();
  const res = await gql('mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }', { i: { name: unique('Live') } }, { token: admin.accessToken });
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  categoryId = res.body.data!.createCategory.id;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
});

describe('connection_init', () => {
  it('closes the socket with 4403 for a malformed, forged or non-Bearer token', async () => {
    const user = await registerAndLogin('wsbad');
    const [header, payload] = user.accessToken.split('.');
    for (const authorization of ['Bearer not-a-token', `Bearer ${header}.${payload}.AAAA`, `Basic ${user.accessToken}`]) {
      const c = open({ authorization });
      expect(await c.closed, authorization).toBe(4403);
    }
  });

  it('accepts a valid token and an anonymous connection', async () => {
    const user = await registerAndLogin('wsok');
    const authed = open({ token: user.accessToken });
    await authed.connected;
    const anonymous = open();
    await anonymous.connected;
  });
});

describe('stockUpdated', () => {
  it('delivers every stock change of the chosen products in order, with product fields resolved through the catalog', async () => {
    const watched = await createProduct(100);
    const other = await createProduct(100);
    const c = open();
    const sub = c.subscribe(STOCK, { ids: [watched.id] });
    const before = await primed(sub, watched.id);

    await setStock(other.id, 7); // not followed
    for (const quantity of [40, 30, 20]) await setStock(watched.id, quantity);
    const results = (await sub.waitFor(before + 3)).slice(before);
    expect(results.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
    expect(results.map((r) => r.data!.stockUpdated.newQuantity)).toEqual([40, 30, 20]);
    for (const r of results) {
      expect(r.data!.stockUpdated).toEqual({
        productId: watched.id,
        newQuantity: expect.any(Number),
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        product: { id: watched.id, name: watched.name, category: { name: expect.stringMatching(/^Live_/) } },
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(sub.results.every((r) => r.data?.stockUpdated.productId === watched.id)).toBe(true);
  });

  it('refuses an empty productIds list with VALIDATION_ERROR', async () => {
    const sub = open().subscribe(STOCK, { ids: [] });
    const [result] = await sub.waitFor(1);
    expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION_ERROR');
  });

  it('refuses a subscription deeper than the depth limit', async () => {
    const deep = `subscription { stockUpdated(productIds: ["x"]) { product { category { products { category { products { category { products { category { products { id } } } } } } } } } } }`;
    const sub = open().subscribe(deep);
    const [result] = await sub.waitFor(1);
    expect(result.errors?.[0]?.message).toMatch(/depth/i);
  });
});

describe('across gateway replicas and when clients leave', () => {
  let second: GatewayService;
  let secondUrl: string;
  beforeAll(async () => {
    second = await buildGateway({ config: loadGatewayConfig(platformEnv()) });
    secondUrl = `http://127.0.0.1:${await second.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(async () => {
    await second?.close();
  });

  const activeOn = async (url: string) => {
    const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
    const line = text.split('\n').find((l) => l.startsWith('graphql_subscriptions_active{field="stockUpdated"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('a change made through one gateway reaches subscribers of another', async () => {
    const product = await createProduct(50);
    const c = open({ url: secondUrl });
    const sub = c.subscribe(STOCK, { ids: [product.id] });
    const before = await primed(sub, product.id); // changed through the first gateway
    await setStock(product.id, 3);
    const results = await sub.waitFor(before + 1);
    expect(results.at(-1)!.data!.stockUpdated).toMatchObject({ productId: product.id, newQuantity: 3, product: { name: product.name } });
  });

  it('releases the subscriptions of clients that unsubscribe or disconnect', async () => {
    const product = await createProduct(50);
    const baseline = await activeOn(secondUrl);
    const a = liveClient({ url: secondUrl });
    const b = liveClient({ url: secondUrl });
    const subs = [a.subscribe(STOCK, { ids: [product.id] }), a.subscribe(STOCK, { ids: [product.id] }), b.subscribe(STOCK, { ids: [product.id] })];
    for (const s of subs) await primed(s, product.id);
    expect(await activeOn(secondUrl)).toBe(baseline + 3);
    subs[0].unsubscribe();
    await eventually(async () => (await activeOn(secondUrl)) === baseline + 2);
    await b.dispose();
    await eventually(async () => (await activeOn(secondUrl)) === baseline + 1);
    await a.dispose();
    await eventually(async () => (await activeOn(secondUrl)) === baseline);
  });
});

describe('orderUpdated', () => {
  async function placeOrder(user: TestUser, items: { productId: string; quantity: number }[]) {
    const res = await gql('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status } }', { i: { items } }, { token: user.accessToken });
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data!.createOrder as { id: string; status: string };
  }

  it("follows the order's transitions in order, with fields from orders, catalog and users/auth", async () => {
    const product = await createProduct(20, 9.99);
    const user = await registerAndLogin('wsorder');
    // Subscribing needs the order's id, so the transitions before the subscription are read back from sagaStatus.
    const order = await placeOrder(user, [{ productId: product.id, quantity: 2 }]);
    const c = open({ token: user.accessToken });
    const sub = c.subscribe(ORDER, { id: order.id });
    // Cancel after confirmation so that there is always a transition after the subscription.
    await eventually(async () => (await gql('query($id: ID!) { order(id: $id) { status } }', { id: order.id }, { token: user.accessToken })).body.data?.order?.status === 'CONFIRMED');
    await new Promise((r) => setTimeout(r, 300));
    const cancel = await gql('mutation($i: CancelOrderInput!) { cancelOrder(input: $i) }', { i: { orderId: order.id, reason: 'changed my mind' } }, { token: user.accessToken });
    expect(cancel.body.errors, JSON.stringify(cancel.body.errors)).toBeUndefined();
    await eventually(async () => sub.results.some((r) => r.data?.orderUpdated.status === 'CANCELLED'));
    const seen = sub.results.map((r) => {
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      return r.data!.orderUpdated;
    });
    for (const o of seen) {
      expect(o).toMatchObject({ id: order.id, items: [{ quantity: 2, productName: product.name, product: { name: product.name } }], user: { id: user.id, username: user.username } });
    }
    const statuses = seen.map((o) => o.status);
    const order_ = ['PROCESSING', 'CONFIRMED', 'CANCELLED'];
    // Never backwards: each status is at or after the one before it.
    for (let i = 1; i < statuses.length; i++) expect(order_.indexOf(statuses[i])).toBeGreaterThanOrEqual(order_.indexOf(statuses[i - 1]));
    expect(statuses.at(-1)).toBe('CANCELLED');
  });

  it('follows the later transitions of a confirmed order (shipping by an admin)', async () => {
    const product = await createProduct(20, 5);
    const user = await registerAndLogin('wsfirst');
    const order = await placeOrder(user, [{ productId: product.id, quantity: 1 }]);
    const sub = open({ token: user.accessToken }).subscribe(ORDER, { id: order.id });
    const status = await eventually(async () => {
      const r = await gql('query($id: ID!) { order(id: $id) { status } }', { id: order.id }, { token: user.accessToken });
      return r.body.data?.order?.status === 'CONFIRMED' ? 'CONFIRMED' : undefined;
    });
    expect(status).toBe('CONFIRMED');
    // The subscription then follows later transitions: shipping by an admin.
    const ship = await gql('mutation($id: ID!) { shipOrder(orderId: $id) { id status } }', { id: order.id }, { token: admin.accessToken });
    expect(ship.body.errors, JSON.stringify(ship.body.errors)).toBeUndefined();
    await eventually(async () => sub.results.some((r) => r.data?.orderUpdated.status === 'SHIPPED'));
  });

  it("refuses another user's order with FORBIDDEN, and an anonymous subscriber with UNAUTHENTICATED", async () => {
    const product = await createProduct(20, 5);
    const owner = await registerAndLogin('wsowner');
    const stranger = await registerAndLogin('wsstranger');
    const order = await placeOrder(owner, [{ productId: product.id, quantity: 1 }]);
    const [forbidden] = await open({ token: stranger.accessToken }).subscribe(ORDER, { id: order.id }).waitFor(1);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const [anonymous] = await open().subscribe(ORDER, { id: order.id }).waitFor(1);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const adminSub = open({ token: admin.accessToken }).subscribe(ORDER, { id: order.id });
    await new Promise((r) => setTimeout(r, 300));
    expect(adminSub.results.filter((r) => r.errors)).toEqual([]);
  });

  it('ends the stream once the subscriber logs out', async () => {
    const product = await createProduct(20, 5);
    const user = await registerAndLogin('wslogout');
    const order = await placeOrder(user, [{ productId: product.id, quantity: 1 }]);
    await eventually(async () => (await gql('query($id: ID!) { order(id: $id) { status } }', { id: order.id }, { token: user.accessToken })).body.data?.order?.status === 'CONFIRMED');
    const sub = open({ token: user.accessToken }).subscribe(ORDER, { id: order.id });
    await new Promise((r) => setTimeout(r, 300));
    const logout = await gql('mutation { logout }', {}, { token: user.accessToken });
    expect(logout.body.errors, JSON.stringify(logout.body.errors)).toBeUndefined();
    await gql('mutation($id: ID!) { shipOrder(orderId: $id) { id } }', { id: order.id }, { token: admin.accessToken });
    await sub.completed;
    expect(sub.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

/**
 * GraphQL subscriptions through the gateway (graphql-ws on /graphql): `stockUpdated` and
 * `orderUpdated` fed by NATS fan-out events, with the client's selection resolved through the
 * supergraph as the subscriber; authentication at connection_init, authorization per order,
 * delivery across gateway replicas, and release of subscriptions when clients leave.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NatsEventBus, Subjects } from '@app/events';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { eventually, gql, loginAdmin, platformEnv, registerAndLogin, type TestUser, unique } from './support/client.js';
import { decode, mint, now, openDatabase, signingKey } from './support/tokens.js';
import { type LiveClient, type LiveSubscription, liveClient } from './support/ws.js';

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
  const res = await gql(
    'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id stockQuantity } }',
    { i: { id, stockQuantity } },
    { token: admin.accessToken, url: gatewayUrl },
  );
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
};

/**
 * A subscription is live once the gateway has registered it: keep changing the stock until the
 * first event arrives. Then one more change, to a quantity of its own: a product's events arrive
 * in order, so once that one is here no priming event is still on its way, and the count returned
 * is where the test's own events start.
 */
async function primed(sub: LiveSubscription, productId: string, gatewayUrl?: string) {
  let n = 0;
  await eventually(async () => {
    if (sub.results.length) return true;
    await setStock(productId, 500 + ++n, gatewayUrl);
    await new Promise((r) => setTimeout(r, 100)); // the polling pace, not an assertion
    return sub.results.length > 0;
  });
  const settled = 10_000 + Math.floor(Math.random() * 90_000);
  await setStock(productId, settled, gatewayUrl);
  await sub.waitUntil((r) => r.data?.stockUpdated?.newQuantity === settled);
  return sub.results.length;
}

beforeAll(async () => {
  admin = await loginAdmin();
  const res = await gql(
    'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }',
    { i: { name: unique('Live') } },
    { token: admin.accessToken },
  );
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
    const results = (await sub.waitFor(before + 3)).slice(before, before + 3);
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
    // The other product's changes never come through: change it again, then the watched one.
    // Once that later change is here, anything of the other product would have come before it.
    await setStock(other.id, 8);
    await setStock(watched.id, 10);
    await sub.waitUntil((r) => r.data?.stockUpdated.newQuantity === 10);
    expect(sub.results.slice(before).map((r) => r.data?.stockUpdated.newQuantity)).toEqual([40, 30, 20, 10]);
    expect(sub.results.map((r) => r.data?.stockUpdated.productId)).toEqual(sub.results.map(() => watched.id));
  });

  it("keeps each product's changes in order by their version: an older change or a copy heard late is not delivered", async () => {
    const env = inject('env');
    const bus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
    try {
      const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
      const sub = open().subscribe(`subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity } }`, {
        ids: [a, b],
      });
      const change = (productId: string, newQuantity: number, version?: number) =>
        bus.broadcast(Subjects.LiveStockUpdated, { productId, newQuantity, updatedAt: new Date().toISOString(), version });
      // Live once the first change comes through (its copies sent meanwhile are skipped).
      await eventually(async () => {
        await change(a, 1, 1);
        return sub.results.length > 0;
      });
      await change(a, 3, 3);
      await change(a, 2, 2); // made before version 3, heard after it
      await change(a, 3, 3); // a copy
      await change(b, 7, 1); // versions are per product
      await change(a, 50); // from a catalog that sends no version: taken as it comes
      await change(a, 4, 4);
      await sub.waitUntil((r) => r.data?.stockUpdated.newQuantity === 4);
      expect(sub.results.map((r) => [r.data?.stockUpdated.productId, r.data?.stockUpdated.newQuantity])).toEqual([
        [a, 1],
        [a, 3],
        [b, 7],
        [a, 50],
        [a, 4],
      ]);
    } finally {
      await bus.close();
    }
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

/** Live subscriptions of `field` on the gateway at `url` (its graphql_subscriptions_active gauge). */
async function activeOn(url: string, field = 'stockUpdated') {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`graphql_subscriptions_active{field="${field}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

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
    const subs = [
      a.subscribe(STOCK, { ids: [product.id] }),
      a.subscribe(STOCK, { ids: [product.id] }),
      b.subscribe(STOCK, { ids: [product.id] }),
    ];
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
  // A gateway of this block's own: its gauge counts only these subscriptions, so a test can wait
  // until one is live before causing the transition it must see.
  let gateway: GatewayService;
  let url: string;
  beforeAll(async () => {
    gateway = await buildGateway({ config: loadGatewayConfig(platformEnv()) });
    url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(async () => {
    await gateway?.close();
  });
  /** Subscribes to the order on this block's gateway and waits until the subscription is live. */
  async function follow(token: string, orderId: string) {
    const before = await activeOn(url, 'orderUpdated');
    const sub = open({ token, url }).subscribe(ORDER, { id: orderId });
    await eventually(async () => (await activeOn(url, 'orderUpdated')) > before);
    return sub;
  }

  async function placeOrder(user: TestUser, items: { productId: string; quantity: number }[]) {
    const res = await gql(
      'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status } }',
      { i: { items } },
      { token: user.accessToken },
    );
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data!.createOrder as { id: string; status: string };
  }

  it("follows the order's transitions in order, with fields from orders, catalog and users/auth", async () => {
    const product = await createProduct(20, 9.99);
    const user = await registerAndLogin('wsorder');
    const order = await placeOrder(user, [{ productId: product.id, quantity: 2 }]);
    const sub = await follow(user.accessToken, order.id);
    // Cancel after confirmation so that there is always a transition after the subscription.
    await eventually(
      async () =>
        (await gql('query($id: ID!) { order(id: $id) { status } }', { id: order.id }, { token: user.accessToken })).body.data?.order
          ?.status === 'CONFIRMED',
    );
    const cancel = await gql(
      'mutation($i: CancelOrderInput!) { cancelOrder(input: $i) }',
      { i: { orderId: order.id, reason: 'changed my mind' } },
      { token: user.accessToken },
    );
    expect(cancel.body.errors, JSON.stringify(cancel.body.errors)).toBeUndefined();
    await eventually(async () => sub.results.some((r) => r.data?.orderUpdated.status === 'CANCELLED'));
    const seen = sub.results.map((r) => {
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      return r.data!.orderUpdated;
    });
    for (const o of seen) {
      expect(o).toMatchObject({
        id: order.id,
        items: [{ quantity: 2, productName: product.name, product: { name: product.name } }],
        user: { id: user.id, username: user.username },
      });
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
    const sub = await follow(user.accessToken, order.id);
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
    const strangerSub = open({ token: stranger.accessToken }).subscribe(ORDER, { id: order.id });
    const [forbidden] = await strangerSub.waitFor(1);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.data ?? null).toBeNull();
    const anonymousSub = open().subscribe(ORDER, { id: order.id });
    const [anonymous] = await anonymousSub.waitFor(1);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.data ?? null).toBeNull();
    // An admin may follow anyone's order: the subscription is live and the next transition
    // (shipping, once confirmed) reaches it, without errors.
    const adminSub = await follow(admin.accessToken, order.id);
    await eventually(
      async () =>
        (await gql('query($id: ID!) { order(id: $id) { status } }', { id: order.id }, { token: owner.accessToken })).body.data?.order
          ?.status === 'CONFIRMED',
    );
    const ship = await gql('mutation($id: ID!) { shipOrder(orderId: $id) { id status } }', { id: order.id }, { token: admin.accessToken });
    expect(ship.body.errors, JSON.stringify(ship.body.errors)).toBeUndefined();
    const shipped = await adminSub.waitUntil((r) => r.data?.orderUpdated.status === 'SHIPPED');
    expect(shipped.data!.orderUpdated).toMatchObject({ id: order.id, user: { id: owner.id, username: owner.username } });
    expect(adminSub.results.filter((r) => r.errors)).toEqual([]);
    // The refused subscriptions ended with their refusal: nothing of that transition reached them.
    await strangerSub.ended();
    await anonymousSub.ended();
    expect(strangerSub.results).toHaveLength(1);
    expect(anonymousSub.results).toHaveLength(1);
  });

  it('ends the stream once the subscriber logs out', async () => {
    const product = await createProduct(20, 5);
    const user = await registerAndLogin('wslogout');
    const order = await placeOrder(user, [{ productId: product.id, quantity: 1 }]);
    await eventually(
      async () =>
        (await gql('query($id: ID!) { order(id: $id) { status } }', { id: order.id }, { token: user.accessToken })).body.data?.order
          ?.status === 'CONFIRMED',
    );
    const sub = await follow(user.accessToken, order.id);
    const logout = await gql('mutation { logout }', {}, { token: user.accessToken });
    expect(logout.body.errors, JSON.stringify(logout.body.errors)).toBeUndefined();
    await gql('mutation($id: ID!) { shipOrder(orderId: $id) { id } }', { id: order.id }, { token: admin.accessToken });
    await sub.ended();
    expect(sub.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('review: limits, token lifetime and failures over the socket', () => {
  // A gateway with tight socket limits (the running platform's are out of the way for the other tests).
  let limited: GatewayService;
  let limitedUrl: string;
  // A gateway whose catalog subgraph is unreachable.
  let broken: GatewayService;
  let brokenUrl: string;
  beforeAll(async () => {
    limited = await buildGateway({
      config: loadGatewayConfig({
        ...platformEnv(),
        WS_MAX_PAYLOAD: '16384',
        WS_MAX_OPERATIONS: '3',
        WS_MAX_CONNECTIONS_PER_IP: '4',
        RATE_LIMIT_USER: '5',
        MAX_COMPLEXITY: '50',
        WS_MAX_BUFFERED: '10',
      }),
    });
    limitedUrl = `http://127.0.0.1:${await limited.listen(0, '127.0.0.1')}/graphql`;
    broken = await buildGateway({ config: loadGatewayConfig({ ...platformEnv(), SUBGRAPH_CATALOG_URL: 'http://127.0.0.1:1/graphql' }) });
    brokenUrl = `http://127.0.0.1:${await broken.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(async () => {
    await limited?.close();
    await broken?.close();
  });

  /** A raw socket: sends `message` right after the handshake and reports the close code (or 'ack' if the server accepted it). */
  const rawInit = (url: string, message: string) =>
    new Promise<number | 'ack'>((resolve, reject) => {
      const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.on('open', () => socket.send(message));
      socket.on('message', () => {
        resolve('ack');
        socket.close();
      });
      socket.on('close', (code) => resolve(code));
      socket.on('error', reject);
    });

  it('refuses a message larger than WS_MAX_PAYLOAD (a huge connection_init) with 1009, before reading it', async () => {
    const huge = JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(64 * 1024) } });
    expect(await rawInit(limitedUrl, huge)).toBe(1009);
    expect(await rawInit(limitedUrl, JSON.stringify({ type: 'connection_init', payload: {} }))).toBe('ack');
  });

  it('allows at most WS_MAX_OPERATIONS operations at once on one socket', async () => {
    const product = await createProduct(10);
    const baseline = await activeOn(limitedUrl);
    const c = open({ url: limitedUrl });
    const subs = [0, 1, 2].map(() => c.subscribe(STOCK, { ids: [product.id] }));
    // All three are live: each receives the stock changes.
    for (const s of subs) await primed(s, product.id);
    expect(await activeOn(limitedUrl)).toBe(baseline + 3);
    const fourth = c.subscribe(STOCK, { ids: [product.id] });
    const [refused] = await fourth.waitFor(1);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMIT_EXCEEDED');
    await fourth.ended();
    // The three carry on after the refusal: the next change reaches each of them, and nothing went wrong on any.
    await setStock(product.id, 77);
    for (const s of subs) await s.waitUntil((r) => r.data?.stockUpdated.newQuantity === 77);
    expect(subs.flatMap((s) => s.results).filter((r) => r.errors)).toEqual([]);
    expect(fourth.results).toHaveLength(1);
    // Once one ends, there is room again: a new one is accepted and receives the changes.
    subs[0].unsubscribe();
    await eventually(async () => (await activeOn(limitedUrl)) === baseline + 2);
    const again = c.subscribe(STOCK, { ids: [product.id] });
    await primed(again, product.id);
    expect(again.results.filter((r) => r.errors)).toEqual([]);
    expect(again.results.at(-1)!.data!.stockUpdated.productId).toBe(product.id);
    expect(await activeOn(limitedUrl)).toBe(baseline + 3);
    await c.dispose();
  });

  it('counts operations over the socket against the rate limit, as over HTTP', async () => {
    const user = await registerAndLogin('wsrate');
    const c = open({ url: limitedUrl, token: user.accessToken });
    const results = [];
    for (let i = 0; i < 12; i++) results.push((await c.subscribe('{ __typename }').waitFor(1))[0]);
    const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'RATE_LIMIT_EXCEEDED');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].errors![0].extensions!.retryAfter).toEqual(expect.any(Number));
    await c.dispose();
  });

  it('counts opening a socket against the rate limit: past it the socket is closed with 4429', async () => {
    const user = await registerAndLogin('wsopen');
    const codes = [];
    for (let i = 0; i < 12; i++) {
      const c = liveClient({ url: limitedUrl, token: user.accessToken });
      codes.push(
        await c.connected.then(
          () => 'ok',
          () => c.closed,
        ),
      );
      await c.dispose();
    }
    expect(codes).toContain(4429);
  });

  it('closes sockets past WS_MAX_CONNECTIONS_PER_IP with 1013', async () => {
    const sockets = [0, 1, 2, 3].map(() => liveClient({ url: limitedUrl }));
    await Promise.all(sockets.map((s) => s.connected));
    const fifth = liveClient({ url: limitedUrl });
    expect(await fifth.closed).toBe(1013);
    await Promise.all(sockets.map((s) => s.dispose()));
    // Closed sockets no longer count.
    await eventually(async () => {
      const c = liveClient({ url: limitedUrl });
      const ok = await c.connected.then(
        () => true,
        () => false,
      );
      await c.dispose();
      return ok;
    });
  });

  it('holds subscription documents to MAX_COMPLEXITY when they subscribe, not on every event', async () => {
    const wide = `subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { product { category { products { category { products { id } } } } } } }`;
    const c = open({ url: limitedUrl });
    const [result] = await c.subscribe(wide, { ids: [crypto.randomUUID()] }).waitFor(1, 3_000);
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(result.errors?.[0]?.message).toMatch(/complex/);
    await c.dispose();
  });

  it('coerces variables to their declared types: a bad one is a VALIDATION_ERROR, not an internal error', async () => {
    const [result] = await open()
      .subscribe(STOCK, { ids: { length: 1 } })
      .waitFor(1);
    expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION_ERROR');
  });

  it('closes the socket with 4403 when its token expires, even when no event comes', async () => {
    const user = await registerAndLogin('wsexpiry');
    const db = openDatabase();
    try {
      const { header, claims } = decode(user.accessToken);
      const key = await signingKey(db, header.kid!);
      const shortLived = await mint({ ...claims, jti: crypto.randomUUID(), iat: now(), exp: now() + 2 }, header as never, key);
      const c = open({ token: shortLived });
      await c.connected;
      const sub = c.subscribe(STOCK, { ids: [crypto.randomUUID()] });
      expect(await Promise.race([c.closed, new Promise((r) => setTimeout(() => r('still open'), 6_000))])).toBe(4403);
      await sub.ended();
    } finally {
      await db.end();
    }
  });

  it('a socket whose token was revoked (logout) starts nothing more and is closed with 4403', async () => {
    const user = await registerAndLogin('wsrevoked');
    const c = open({ token: user.accessToken });
    await c.connected;
    expect((await gql('mutation { logout }', {}, { token: user.accessToken })).body.errors).toBeUndefined();
    const sub = c.subscribe(STOCK, { ids: [crypto.randomUUID()] });
    expect(await c.closed).toBe(4403);
    await sub.ended();
    expect(sub.results.filter((r) => r.data)).toEqual([]);
  });

  it('in production, errors over the socket suggest no field names (as over HTTP)', async () => {
    const production = await buildGateway({ config: loadGatewayConfig({ ...platformEnv(), NODE_ENV: 'production' }) });
    try {
      const url = `http://127.0.0.1:${await production.listen(0, '127.0.0.1')}/graphql`;
      const typo = `subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { newQuantty } }`;
      const http = await gql('{ categories { nme } }', {}, { url, headers: { 'apollo-require-preflight': '1' } });
      expect(http.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
      const c = liveClient({ url });
      for (const query of [typo, '{ categories { nme } }']) {
        const [result] = await c.subscribe(query, { ids: [crypto.randomUUID()] }).waitFor(1);
        expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(result.errors?.[0]?.message).not.toMatch(/Did you mean|newQuantity|name/);
      }
      await c.dispose();
    } finally {
      await production.close();
    }
  });

  it('a subscription whose events pile up behind a hanging subgraph is ended, not queued without bound', async () => {
    // A catalog that accepts requests and never answers.
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as AddressInfo).port;
    const stuck = await buildGateway({
      config: loadGatewayConfig({ ...platformEnv(), SUBGRAPH_CATALOG_URL: `http://127.0.0.1:${port}/graphql` }),
    });
    const stuckUrl = `http://127.0.0.1:${await stuck.listen(0, '127.0.0.1')}/graphql`;
    const env = inject('env');
    const bus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
    try {
      const productId = crypto.randomUUID();
      const c = open({ url: stuckUrl });
      const sub = c.subscribe(STOCK, { ids: [productId] });
      const probe = c.subscribe(`subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { newQuantity } }`, { ids: [productId] });
      const updatedAt = new Date().toISOString();
      await eventually(async () => {
        await bus.broadcast(Subjects.LiveStockUpdated, { productId, newQuantity: 0, updatedAt });
        return probe.results.length > 0; // both subscriptions are live
      });
      for (let i = 1; i <= 1_100; i++) await bus.broadcast(Subjects.LiveStockUpdated, { productId, newQuantity: i, updatedAt });
      const [ended] = await sub.waitFor(1, 15_000);
      expect(ended.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      await sub.ended();
      await c.dispose();
    } finally {
      await bus.close();
      hanging.closeAllConnections();
      hanging.close();
      await stuck.close();
    }
  });

  it('a failure to follow the events (NATS unreachable a moment) fails that subscription only, and the next one works', async () => {
    const env = inject('env');
    const realBus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
    let failures = 1;
    // The real bus, except that the first subscription to live stock updates fails.
    const flakyBus = new Proxy(realBus, {
      get(target, prop) {
        if (prop === 'onBroadcast') {
          return async (subject: string, handler: never) => {
            if (subject === Subjects.LiveStockUpdated && failures-- > 0) throw new Error('nats: disconnected');
            return target.onBroadcast(subject as never, handler);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const flaky = await buildGateway({ config: loadGatewayConfig(platformEnv()), infrastructure: { bus: flakyBus } });
    try {
      const url = `http://127.0.0.1:${await flaky.listen(0, '127.0.0.1')}/graphql`;
      const product = await createProduct(40);
      const c = open({ url });
      const [failed] = await c.subscribe(STOCK, { ids: [product.id] }).waitFor(1);
      expect(failed.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(JSON.stringify(failed)).not.toMatch(/nats/);
      const sub = c.subscribe(STOCK, { ids: [product.id] });
      await primed(sub, product.id);
      expect(sub.results.at(-1)!.data!.stockUpdated.productId).toBe(product.id);
      await c.dispose();
    } finally {
      await flaky.close();
      await realBus.close();
    }
  });

  it('aliases of product under stockUpdated cost one supergraph execution per event, not one each', async () => {
    const executions = async () => {
      const text = await (await fetch(limitedUrl.replace(/\/graphql$/, '/metrics'))).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('graphql_operations_total{') && l.includes('operation="Live_product"'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    };
    const product = await createProduct(25);
    const aliased = `subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { newQuantity a: product { name } b: product { id } c: product { price } product { name } } }`;
    const c = open({ url: limitedUrl });
    const sub = c.subscribe(aliased, { ids: [product.id] });
    await primed(sub, product.id);
    const [before, seen] = [await executions(), sub.results.length];
    await setStock(product.id, 9);
    const [last] = (await sub.waitFor(seen + 1)).slice(seen);
    expect(last.data!.stockUpdated).toEqual({
      newQuantity: 9,
      a: { name: product.name },
      b: { id: product.id },
      c: { price: 12.5 },
      product: { name: product.name },
    });
    expect((await executions()) - before).toBe(1);
    await c.dispose();
  });

  it('a client that reads too slowly is told why its subscription ended', async () => {
    const res = await gql(
      'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }',
      { i: { name: unique('Slow'), price: 1, stockQuantity: 1, categoryId, description: 'd'.repeat(5000) } },
      { token: admin.accessToken },
    );
    const productId = res.body.data!.createProduct.id as string;
    // ~125 KB per result: a few dozen fill the socket buffers, then the gateway's own buffer (WS_MAX_BUFFERED 10) fills.
    const fields = Array.from({ length: 25 }, (_, i) => `p${i}: product { description }`).join(' ');
    const query = `subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { newQuantity ${fields} } }`;
    const env = inject('env');
    const bus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
    const socket = new WebSocket(limitedUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    try {
      const messages: { type: string; id?: string; payload?: any }[] = [];
      socket.on('message', (raw) => messages.push(JSON.parse(String(raw))));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init' }));
      await eventually(async () => messages.some((m) => m.type === 'connection_ack'));
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { ids: [productId] } } }));
      const updatedAt = new Date().toISOString();
      await eventually(async () => {
        await bus.broadcast(Subjects.LiveStockUpdated, { productId, newQuantity: 0, updatedAt });
        return messages.some((m) => m.type === 'next');
      });
      // The client stops reading; events keep coming.
      (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      // Paced, so the gateway keeps up resolving them: what piles up is what the client does not read.
      for (let i = 1; i <= 400; i++) {
        await bus.broadcast(Subjects.LiveStockUpdated, { productId, newQuantity: i, updatedAt });
        if (i % 2 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 2_000));
      (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.resume();
      await eventually(async () => messages.some((m) => m.type === 'complete' && m.id === '1'), 20_000);
      const results = messages.filter((m) => m.type === 'next');
      expect(results.length).toBeLessThan(401);
      expect(results.at(-1)!.payload.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/read too slowly/),
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
    } finally {
      socket.terminate();
      await bus.close();
    }
  }, 60_000);

  it('a subgraph that is down gives SERVICE_UNAVAILABLE per event, and the stream carries on', async () => {
    const product = await createProduct(30);
    const c = open({ url: brokenUrl });
    const sub = c.subscribe(STOCK, { ids: [product.id] });
    const plain = c.subscribe(`subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity } }`, {
      ids: [product.id],
    });
    await primed(plain, product.id); // changed through the working gateway
    const before = sub.results.length;
    await setStock(product.id, 11);
    await setStock(product.id, 12);
    const results = (await sub.waitFor(before + 2)).slice(before);
    for (const r of results) {
      expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r)).toBe('SERVICE_UNAVAILABLE');
      expect(JSON.stringify(r)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|fetch/);
    }
    await eventually(async () => plain.results.some((r) => r.data?.stockUpdated.newQuantity === 12));
  });
});

/**
 * One resolution of a live event shared by every subscriber whose answer is provably the same:
 * the rule (gateway/src/subscriptions/caller-independence.ts) read from the supergraph's
 * `@join__*` directives, the catalog's read resolvers held to what the rule assumes of them,
 * and, through a gateway, sharing across users for a public selection, none for a selection
 * that depends on who asks, and authorization still per subscriber.
 */
import { readFileSync } from 'node:fs';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallerIndependence } from '../gateway/src/subscriptions/caller-independence.js';
import { eventually, gql, loginAdmin, platformEnv, registerAndLogin, type TestUser, unique } from './support/client.js';
import { type LiveClient, type LiveSubscription, liveClient } from './support/ws.js';

const root = new URL('..', import.meta.url);
const supergraph = readFileSync(new URL('supergraph.graphql', root), 'utf8');

describe('which selections answer the same whoever asks', () => {
  const rule = CallerIndependence.fromSupergraph(supergraph);

  it('catalog fields and entity keys do; fields of orders, users, auth or workouts do not', () => {
    for (const [type, field] of [
      ['Query', 'product'],
      ['Product', 'name'],
      ['Product', 'price'],
      ['Product', 'category'],
      ['Category', 'products'],
      ['Product', 'id'], // a key in catalog and orders: the identity the field above chose
      ['Order', 'id'],
    ])
      expect(rule.isIndependent(type, field), `${type}.${field}`).toBe(true);
    for (const [type, field] of [
      ['Query', 'order'],
      ['Query', 'me'],
      ['Order', 'status'],
      ['Order', 'items'],
      ['OrderItem', 'product'],
      ['User', 'username'],
      ['User', 'orders'],
    ])
      expect(rule.isIndependent(type, field), `${type}.${field}`).toBe(false);
  });

  it('a selection is shared only when every field in it is: one field of another subgraph makes it per identity', () => {
    // A supergraph where the catalog's Product also has a field the orders subgraph resolves (say, per buyer).
    const sdl = `
      enum join__Graph {
        CATALOG @join__graph(name: "catalog", url: "http://catalog")
        ORDERS @join__graph(name: "orders", url: "http://orders")
      }
      type Query @join__type(graph: CATALOG) @join__type(graph: ORDERS) {
        product(id: ID!): Product @join__field(graph: CATALOG)
      }
      type Product @join__type(graph: CATALOG, key: "id") @join__type(graph: ORDERS, key: "id") {
        id: ID!
        name: String! @join__field(graph: CATALOG)
        boughtByMe: Boolean! @join__field(graph: ORDERS)
        shipping: Int @join__field(graph: CATALOG, requires: "boughtByMe")
      }`;
    const api = buildSchema(`
      type Query { product(id: ID!): Product }
      type Product { id: ID! name: String! boughtByMe: Boolean! shipping: Int }`);
    const mixed = CallerIndependence.fromSupergraph(sdl);
    expect(mixed.covers(api, 'query($k: ID!) { product(id: $k) { id name __typename } }')).toBe(true);
    expect(mixed.covers(api, 'query($k: ID!) { product(id: $k) { name boughtByMe } }')).toBe(false);
    expect(mixed.covers(api, 'query($k: ID!) { product(id: $k) { ...F } } fragment F on Product { boughtByMe }')).toBe(false);
    // Computed by the catalog from what the orders subgraph answers for the caller.
    expect(mixed.covers(api, 'query($k: ID!) { product(id: $k) { shipping } }')).toBe(false);
    // Nothing is independent when no subgraph is declared so.
    expect(CallerIndependence.fromSupergraph(sdl, new Set()).covers(api, 'query($k: ID!) { product(id: $k) { name } }')).toBe(false);
  });

  it("the catalog's reads take no caller: the assumption the rule makes of it", () => {
    // Only its mutations look at the caller (adminOnly); its read resolvers and the use cases
    // they call are given the arguments and loaders, never the identity. Should this fail, a
    // catalog read now depends on who asks: take 'catalog' out of CALLER_INDEPENDENT_SUBGRAPHS.
    const resolvers = readFileSync(new URL('subgraphs/catalog/src/resolvers/index.ts', root), 'utf8');
    const reads = resolvers.replace(/Mutation: \{[\s\S]*?\n {4}\},/, '');
    expect(reads).toMatch(/Query: \{/);
    expect(reads).not.toMatch(/\bauth\b|userId|isAdmin|scopes|requireUser|viewer/);
    for (const useCase of [
      'get-product',
      'get-category',
      'list-products',
      'list-categories',
      'load-products',
      'load-categories',
      'load-category-products',
    ]) {
      const source = readFileSync(new URL(`subgraphs/catalog/src/usecases/${useCase}.ts`, root), 'utf8');
      expect(source, useCase).not.toMatch(/\bauth\b|userId|isAdmin|scopes/);
    }
  });
});

const STOCK = 'subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity product { id name price } } }';
const ORDER = 'subscription($id: ID!) { orderUpdated(orderId: $id) { id status items { product { name } } } }';

describe('through a gateway', () => {
  // A gateway of this block's own: its counters see only these subscriptions' executions.
  let gateway: GatewayService;
  let url: string;
  let admin: { accessToken: string };
  let categoryId: string;
  const clients: LiveClient[] = [];
  beforeAll(async () => {
    gateway = await buildGateway({ config: loadGatewayConfig(platformEnv()) });
    url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
    admin = await loginAdmin();
    const res = await gql(
      'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }',
      { i: { name: unique('Shared') } },
      { token: admin.accessToken },
    );
    categoryId = res.body.data!.createCategory.id;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
    await gateway?.close();
  });
  const open = (token?: string) => {
    const c = liveClient({ token, url });
    clients.push(c);
    return c;
  };
  const metricOf = async (name: string, filter: string) => {
    const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) && l.includes(filter))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };
  const executions = (operation: string) => metricOf('graphql_operations_total', `operation="${operation}"`);
  const live = (field: string) => metricOf('graphql_subscriptions_active', `field="${field}"`);

  async function createProduct() {
    const res = await gql(
      'mutation($i: CreateProductInput!) { createProduct(input: $i) { id name } }',
      { i: { name: unique('Shared product'), price: 4.5, stockQuantity: 100, categoryId } },
      { token: admin.accessToken },
    );
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data!.createProduct as { id: string; name: string };
  }
  const setStock = async (id: string, stockQuantity: number) => {
    const res = await gql(
      'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id } }',
      { i: { id, stockQuantity } },
      { token: admin.accessToken },
    );
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  };
  /**
   * Changes the stock until every subscription has seen a change (each is live then), then once
   * more to `settled` and waits for that one everywhere: no priming event is still on its way.
   */
  async function everyoneSees(subs: LiveSubscription[], productId: string, settled: number) {
    let n = 0;
    await eventually(async () => {
      await setStock(productId, 500 + ++n);
      await new Promise((r) => setTimeout(r, 100)); // the polling pace, not an assertion
      return subs.every((s) => s.results.length > 0);
    });
    await setStock(productId, settled);
    for (const sub of subs) await sub.waitUntil((r) => r.data?.stockUpdated?.newQuantity === settled);
  }
  const ofQuantity = (sub: LiveSubscription, quantity: number) =>
    sub.waitUntil((r) => r.data?.stockUpdated?.newQuantity === quantity || !!r.errors);

  it('subscribers who are different users (and anonymous) share one resolution of a public selection per event', async () => {
    const product = await createProduct();
    const [a, b] = [await registerAndLogin('shareA'), await registerAndLogin('shareB')];
    const subs = [open(a.accessToken), open(b.accessToken), open(admin.accessToken), open()].map((c) =>
      c.subscribe(STOCK, { ids: [product.id] }),
    );
    await everyoneSees(subs, product.id, 7);
    const before = await executions('Live_product');
    await setStock(product.id, 8);
    for (const sub of subs)
      expect((await ofQuantity(sub, 8)).data!.stockUpdated).toEqual({
        productId: product.id,
        newQuantity: 8,
        product: { id: product.id, name: product.name, price: 4.5 },
      });
    expect((await executions('Live_product')) - before).toBe(1);
  });

  it("subscribers who follow different products still share the product's resolution, and a directive's variable reaches it", async () => {
    const [product, other] = [await createProduct(), await createProduct()];
    const query = `subscription($ids: [ID!]!, $with: Boolean!) {
      stockUpdated(productIds: $ids) { newQuantity product @include(if: $with) { name } }
    }`;
    const user = await registerAndLogin('shareIds');
    const subs = [
      open(user.accessToken).subscribe(query, { ids: [product.id], with: true }),
      open(admin.accessToken).subscribe(query, { ids: [other.id, product.id], with: true }),
    ];
    await everyoneSees(subs, product.id, 31);
    const before = await executions('Live_product');
    await setStock(product.id, 32);
    for (const sub of subs)
      expect((await ofQuantity(sub, 32)).data!.stockUpdated).toEqual({ newQuantity: 32, product: { name: product.name } });
    expect((await executions('Live_product')) - before).toBe(1);
    // Each hears only the products it follows: the other product's change reaches the second only.
    await setStock(other.id, 33);
    expect((await ofQuantity(subs[1], 33)).data!.stockUpdated).toEqual({ newQuantity: 33, product: { name: other.name } });
    await setStock(product.id, 34);
    await ofQuantity(subs[0], 34);
    expect(subs[0].results.some((r) => r.data?.stockUpdated.newQuantity === 33)).toBe(false);
  });

  it('an order followed by its owner and by an admin is resolved once for each: orders fields depend on who asks', async () => {
    const product = await createProduct();
    const owner = await registerAndLogin('shareOwner');
    const placed = await gql(
      'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }',
      { i: { items: [{ productId: product.id, quantity: 1 }] } },
      { token: owner.accessToken },
    );
    expect(placed.body.errors, JSON.stringify(placed.body.errors)).toBeUndefined();
    const orderId = placed.body.data!.createOrder.id as string;
    await eventually(
      async () =>
        (await gql('query($id: ID!) { order(id: $id) { status } }', { id: orderId }, { token: owner.accessToken })).body.data?.order
          ?.status === 'CONFIRMED',
    );
    const before = await live('orderUpdated');
    // The owner twice (one identity: shared) and an admin, with the same selection and variables.
    const subs = [open(owner.accessToken), open(owner.accessToken), open(admin.accessToken)].map((c) =>
      c.subscribe(ORDER, { id: orderId }),
    );
    await eventually(async () => (await live('orderUpdated')) - before === 3);
    const executed = await executions('Live_order');
    const ship = await gql('mutation($id: ID!) { shipOrder(orderId: $id) { id } }', { id: orderId }, { token: admin.accessToken });
    expect(ship.body.errors, JSON.stringify(ship.body.errors)).toBeUndefined();
    for (const sub of subs)
      expect((await sub.waitUntil((r) => r.data?.orderUpdated.status === 'SHIPPED')).data!.orderUpdated).toEqual({
        id: orderId,
        status: 'SHIPPED',
        items: [{ product: { name: product.name } }],
      });
    expect((await executions('Live_order')) - executed).toBe(2);
  });

  it('a subscriber whose token is revoked stops receiving a shared stream, while the others carry on', async () => {
    const product = await createProduct();
    const [leaving, staying]: TestUser[] = [await registerAndLogin('shareOut'), await registerAndLogin('shareIn')];
    const [gone, kept] = [open(leaving.accessToken), open(staying.accessToken)].map((c) => c.subscribe(STOCK, { ids: [product.id] }));
    await everyoneSees([gone, kept], product.id, 20);
    const logout = await gql('mutation { logout }', {}, { token: leaving.accessToken });
    expect(logout.body.errors, JSON.stringify(logout.body.errors)).toBeUndefined();
    let quantity = 20;
    await eventually(async () => {
      await setStock(product.id, ++quantity);
      await ofQuantity(kept, quantity);
      return gone.results.at(-1)?.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
    });
    await gone.ended();
    // The one still signed in hears the next change too; the revoked one has nothing more.
    const seen = gone.results.length;
    await setStock(product.id, ++quantity);
    expect((await ofQuantity(kept, quantity)).data!.stockUpdated.newQuantity).toBe(quantity);
    expect(gone.results).toHaveLength(seen);
  });
});

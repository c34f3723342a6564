/**
 * Issue 14: the catalog's reads answer the same to everyone, so the gateway sends identical
 * reads in flight together once, and keeps their answers (whole root queries, entities one by
 * one) until the catalog says its data changed. Observed with a counting proxy in front of the
 * catalog, on extra gateways of this file's own. Those listen on a NATS namespace of their own:
 * every other test's catalog writes would otherwise empty their memory at any moment, so this
 * file sends the catalog's `cache.key.invalidated` itself (catalog.test.ts shows the catalog
 * broadcasting it after each write).
 */
import { randomBytes } from 'node:crypto';
import { NatsEventBus, Subjects } from '@app/events';
import { buildGateway, loadGatewayConfig } from '@app/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, gql, loginAdmin, platformEnv, registerAndLogin, serviceUrl, unique } from './support/client.js';
import { type CountingProxy, countingProxy } from './support/counting-proxy.js';
import { createProduct } from './support/orders.js';

const PRODUCT = 'query($id: ID!) { product(id: $id) { id name price } }';
const UPDATE = 'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id name } }';

describe('public catalog reads through the gateway', () => {
  let proxy: CountingProxy;
  let url: string;
  let adminToken: string;
  const closers: (() => unknown)[] = [];

  const namespace = `answers${randomBytes(4).toString('hex')}`;
  let bus: NatsEventBus;

  async function extraGateway(overrides: Record<string, string> = {}) {
    const extra = await buildGateway({
      config: loadGatewayConfig({
        ...platformEnv(),
        SUBGRAPH_CATALOG_URL: `${proxy.url}/graphql`,
        NATS_NAMESPACE: namespace,
        ...overrides,
      }),
    });
    closers.push(() => extra.close());
    return { gateway: extra, url: `http://127.0.0.1:${await extra.listen(0, '127.0.0.1')}/graphql` };
  }

  beforeAll(async () => {
    proxy = await countingProxy(serviceUrl('catalog'));
    closers.push(() => proxy.close());
    ({ url } = await extraGateway());
    bus = await NatsEventBus.connect({ url: platformEnv().NATS_URL, namespace });
    adminToken = (await loginAdmin()).accessToken;
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await bus?.deleteNamespaceStreams().catch(() => {});
    await bus?.close();
  });

  const catalogCallsFor = (id: string) => proxy.bodies.filter((body) => body.includes(id)).length;

  it('sends a read once, serves it again from memory, to anonymous and signed-in callers alike', async () => {
    const product = await createProduct(adminToken, { price: 3, stockQuantity: 5 });
    const user = await registerAndLogin('public');
    const answers = [
      await gql(PRODUCT, { id: product.id }, { url }),
      await gql(PRODUCT, { id: product.id }, { url, token: user.accessToken }),
      await gql(PRODUCT, { id: product.id }, { url, token: adminToken }),
    ];
    for (const answer of answers) expect(answer.body).toEqual({ data: { product: { id: product.id, name: product.name, price: 3 } } });
    expect(catalogCallsFor(product.id), JSON.stringify(proxy.bodies)).toBe(1);
  });

  it('a write through this gateway is read back at once; a write through another gateway once the catalog broadcasts it', async () => {
    const product = await createProduct(adminToken, { price: 4, stockQuantity: 5 });
    await gql(PRODUCT, { id: product.id }, { url });
    expect((await gql(PRODUCT, { id: product.id }, { url })).body.data?.product.name).toBe(product.name);
    expect(catalogCallsFor(product.id)).toBe(1);
    const renamed = unique('Renamed');
    const updated = await gql(UPDATE, { i: { id: product.id, name: renamed } }, { url, token: adminToken });
    expect(updated.body.errors).toBeUndefined();
    expect((await gql(PRODUCT, { id: product.id }, { url })).body.data?.product.name).toBe(renamed);

    // Through the shared platform's gateway: this one keeps the old answer until it hears of the change.
    const again = unique('Again');
    expect((await gql(UPDATE, { i: { id: product.id, name: again } }, { token: adminToken })).body.errors).toBeUndefined();
    expect((await gql(PRODUCT, { id: product.id }, { url })).body.data?.product.name).toBe(renamed);
    await bus.broadcast(Subjects.CacheKeyInvalidated, { keys: [`catalog:product:${product.id}`] });
    await eventually(async () => (await gql(PRODUCT, { id: product.id }, { url })).body.data?.product.name === again, 5_000);
  });

  it('with the cache off, identical reads in flight at once are still sent once', async () => {
    const { url: uncached } = await extraGateway({ PUBLIC_ANSWER_CACHE_SECONDS: '0' });
    const product = await createProduct(adminToken, { price: 5, stockQuantity: 5 });
    proxy.delayMs = 300;
    try {
      const users = await Promise.all([1, 2, 3].map(() => registerAndLogin('inflight')));
      const answers = await Promise.all(users.map((u) => gql(PRODUCT, { id: product.id }, { url: uncached, token: u.accessToken })));
      for (const answer of answers) expect(answer.body.data?.product.name).toBe(product.name);
      expect(catalogCallsFor(product.id)).toBe(1);
      // Once answered, the next read is sent again: nothing kept.
      await gql(PRODUCT, { id: product.id }, { url: uncached });
      expect(catalogCallsFor(product.id)).toBe(2);
    } finally {
      proxy.delayMs = 0;
    }
  });
});

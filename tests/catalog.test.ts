/**
 * The catalog subgraph through the gateway (seed 003): categories and products as the contract
 * names them, admin-only writes, validation errors that name their fields and write nothing,
 * limit/offset lists and the Relay connection, the federation fields, the two-level read cache
 * (a second replica never serves a stale product after a write on the first) and the idempotent
 * sample seed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  announceAllProducts,
  buildCatalogService,
  type CatalogService,
  getProduct,
  loadCatalogConfig,
  SAMPLE_CATEGORIES,
  SAMPLE_PRODUCTS,
  seedSampleCatalog,
} from '@app/catalog';
import { type EventEnvelope, NatsEventBus, Subjects } from '@app/events';
import { catalogCacheKeys, createLogger, RedisCache } from '@app/platform';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminUser, C, startPrivateCatalog, useCatalogDb } from './support/catalog.js';
import { eventually, gql, registerAndLogin, type TestUser, unique } from './support/client.js';
import { GatedBus } from './support/gated-bus.js';
import { call, expectCode, expectValidationError, NIL_UUID, ok } from './support/workouts.js';

const db = useCatalogDb();
let admin: { accessToken: string };
let user: TestUser;

beforeAll(async () => {
  [admin, user] = await Promise.all([adminUser(), registerAndLogin('shopper')]);
});

const newCategory = async (name = unique('Cat')) => ok(C.createCategory, { input: { name } }, admin);
const newProduct = async (input: Record<string, unknown> = {}) =>
  ok(C.createProduct, { input: { name: unique('Prod'), price: 1000, stockQuantity: 5, ...input } }, admin);

describe('categories and products (CRUD)', () => {
  it('creates, reads, updates and deletes a category and its products as seed 003 shows', async () => {
    const name = unique('Electronics');
    const category = await newCategory(name);
    expect(category).toMatchObject({ id: expect.any(String), name });
    expect(Date.parse(category.createdAt)).not.toBeNaN();
    expect(category.updatedAt).toBe(category.createdAt);

    const created = await ok(
      C.createProduct,
      { input: { name: 'MacBook Pro', description: 'Laptop', price: 299000, categoryId: category.id, stockQuantity: 3 } },
      admin,
    );
    expect(created).toMatchObject({
      name: 'MacBook Pro',
      description: 'Laptop',
      price: 299000,
      stockQuantity: 3,
      categoryId: category.id,
      category: { id: category.id, name },
    });
    // Decimal is a JSON number, exact to 4 places.
    const mouse = await ok(C.createProduct, { input: { name: 'Magic Mouse', price: 12800.5, categoryId: category.id } }, admin);
    expect(mouse).toMatchObject({ price: 12800.5, stockQuantity: 0, description: null });
    expect((await db.product(mouse.id)).price).toBe('12800.5000');

    expect(await ok(C.product, { id: created.id })).toMatchObject({
      id: created.id,
      name: 'MacBook Pro',
      price: 299000,
      category: { id: category.id, name },
    });
    const read = await ok(C.category, { id: category.id });
    expect(read).toMatchObject({ id: category.id, name });
    expect(read.products.map((p: { name: string }) => p.name)).toEqual(['MacBook Pro', 'Magic Mouse']);
    const list = await ok(C.categories);
    expect(list.find((c: { id: string }) => c.id === category.id)).toMatchObject({ name });
    expect(await ok(C.products, { categoryId: category.id })).toEqual([
      { id: created.id, name: 'MacBook Pro', price: 299000, stockQuantity: 3, category: { id: category.id, name } },
      { id: mouse.id, name: 'Magic Mouse', price: 12800.5, stockQuantity: 0, category: { id: category.id, name } },
    ]);

    const renamed = await ok(C.updateCategory, { input: { id: category.id, name: `${name} 2` } }, admin);
    expect(renamed.name).toBe(`${name} 2`);
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(category.updatedAt));
    expect((await ok(C.product, { id: created.id })).category.name).toBe(`${name} 2`);

    const updated = await ok(C.updateProduct, { input: { id: created.id, price: 139900, description: null } }, admin);
    expect(updated).toMatchObject({ name: 'MacBook Pro', price: 139900, description: null, stockQuantity: 3, categoryId: category.id });
    const moved = await ok(C.updateProduct, { input: { id: mouse.id, categoryId: null } }, admin);
    expect(moved).toMatchObject({ categoryId: null, category: null });
    expect((await ok(C.category, { id: category.id })).products.map((p: { id: string }) => p.id)).toEqual([created.id]);

    // A category that still has products cannot go.
    expectCode(await call(C.deleteCategory, { id: category.id }, admin), 'CONFLICT');
    expect(await ok(C.deleteProduct, { id: created.id }, admin)).toBe(true);
    expect(await ok(C.product, { id: created.id })).toBeNull();
    expect(await db.product(created.id)).toBeUndefined();
    expect(await ok(C.deleteCategory, { id: category.id }, admin)).toBe(true);
    expect(await ok(C.category, { id: category.id })).toBeNull();
    expect((await ok(C.categories)).some((c: { id: string }) => c.id === category.id)).toBe(false);

    // Gone is gone.
    expectCode(await call(C.deleteProduct, { id: created.id }, admin), 'NOT_FOUND');
    expectCode(await call(C.updateProduct, { input: { id: created.id, name: 'x' } }, admin), 'NOT_FOUND');
    expectCode(await call(C.updateCategory, { input: { id: category.id, name: 'x' } }, admin), 'NOT_FOUND');
    expectCode(await call(C.deleteCategory, { id: category.id }, admin), 'NOT_FOUND');
    await ok(C.deleteProduct, { id: mouse.id }, admin);
  });

  it('category names are unique case-insensitively (CONFLICT)', async () => {
    const name = unique('Books');
    await newCategory(name);
    const res = await call(C.createCategory, { input: { name: `  ${name.toUpperCase()} ` } }, admin);
    expectCode(res, 'CONFLICT');
    expect(await db.categoriesNamed(name.toUpperCase())).toHaveLength(0);
  });

  it('reads are public; unknown ids read as null; a malformed id is a VALIDATION_ERROR', async () => {
    expect(await ok(C.product, { id: NIL_UUID })).toBeNull();
    expect(await ok(C.category, { id: NIL_UUID })).toBeNull();
    expectValidationError(await call(C.product, { id: 'nope' }), ['id']);
    expect(Array.isArray(await ok(C.categories))).toBe(true);
  });
});

describe('writes are for admins only', () => {
  const writes = (ids: { product: string; category: string }, name: string) =>
    [
      [C.createCategory, { input: { name } }],
      [C.updateCategory, { input: { id: ids.category, name } }],
      [C.deleteCategory, { id: ids.category }],
      [C.createProduct, { input: { name, price: 10 } }],
      [C.updateProduct, { input: { id: ids.product, name } }],
      [C.deleteProduct, { id: ids.product }],
    ] as const;

  it('UNAUTHENTICATED without a token, FORBIDDEN for a user, and nothing written', async () => {
    const category = await newCategory();
    const product = await newProduct({ categoryId: category.id });
    const name = unique('Intruder');
    for (const [query, variables] of writes({ product: product.id, category: category.id }, name)) {
      expectCode(await call(query, variables), 'UNAUTHENTICATED', query);
      expectCode(await call(query, variables, user), 'FORBIDDEN', query);
    }
    expect(await db.productsNamed(name)).toHaveLength(0);
    expect(await db.categoriesNamed(name)).toHaveLength(0);
    expect(await ok(C.product, { id: product.id })).toMatchObject({ name: product.name, categoryId: category.id });
    expect(await ok(C.category, { id: category.id })).toMatchObject({ name: category.name });
  });

  it('the catalog subgraph checks the token itself when reached directly', async () => {
    const direct = { url: `${inject('urls').catalog}/graphql` };
    const name = unique('Direct');
    expect((await gql(C.createCategory, { input: { name } }, direct)).body.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect(
      (await gql(C.createCategory, { input: { name } }, { ...direct, token: user.accessToken })).body.errors![0].extensions!.code,
    ).toBe('FORBIDDEN');
    expect(
      (await gql(C.createCategory, { input: { name } }, { ...direct, token: `${admin.accessToken.slice(0, -4)}AAAA` })).body.errors![0]
        .extensions!.code,
    ).toBe('UNAUTHENTICATED');
    expect(await db.categoriesNamed(name)).toHaveLength(0);
    expect((await gql(C.createCategory, { input: { name } }, { ...direct, token: admin.accessToken })).body.data!.createCategory.name).toBe(
      name,
    );
  });
});

describe('validation', () => {
  it('createProduct names every bad field and writes nothing', async () => {
    const name = unique('Invalid');
    const cases: [Record<string, unknown>, string[]][] = [
      [{ name: '', price: 10 }, ['name']],
      [{ name: '   ', price: 10 }, ['name']],
      [{ name, price: 0 }, ['price']],
      [{ name, price: -5 }, ['price']],
      [{ name, price: 10, stockQuantity: -1 }, ['stockQuantity']],
      [{ name, price: 10, stockQuantity: 1_000_000_001 }, ['stockQuantity']],
      [{ name, price: 10, categoryId: NIL_UUID }, ['categoryId']],
      [{ name, price: 10, categoryId: 'not-a-uuid' }, ['categoryId']],
      [{ name: '', price: 0, stockQuantity: -3 }, ['name', 'price', 'stockQuantity']],
      [{ name: 'x'.repeat(201), price: 10 }, ['name']],
    ];
    for (const [input, fields] of cases) {
      const res = await call(C.createProduct, { input }, admin);
      expectValidationError(res, fields, JSON.stringify(input));
      expect(res.body.data?.createProduct ?? null).toBeNull();
    }
    const res = await call(C.createProduct, { input: { name: '', price: 0 } }, admin);
    const messages = res.body.errors![0].extensions!.validationErrors as { field: string; message: string }[];
    expect(messages).toEqual(
      expect.arrayContaining([
        { field: 'price', message: 'Price must be greater than 0' },
        { field: 'name', message: 'Name is required' },
      ]),
    );
    // More than 4 decimals is refused by the Decimal scalar itself, before any resolver runs.
    const precise = await call(C.createProduct, { input: { name, price: 1.23456 } }, admin);
    expectCode(precise, 'VALIDATION_ERROR');
    expect(precise.body.errors![0].message).toMatch(/input\.price/);
    expect(await db.productsNamed(name)).toHaveLength(0);
    expect(await db.productsNamed('')).toHaveLength(0);
  });

  it('updateProduct and the category writes validate the same way, changing nothing', async () => {
    const category = await newCategory();
    const product = await newProduct({ categoryId: category.id, price: 500, stockQuantity: 7 });
    const before = await db.product(product.id);
    const cases: [Record<string, unknown>, string[]][] = [
      [{ name: '' }, ['name']],
      [{ name: null }, ['name']],
      [{ price: 0 }, ['price']],
      [{ price: null }, ['price']],
      [{ stockQuantity: -1 }, ['stockQuantity']],
      [{ categoryId: NIL_UUID }, ['categoryId']],
      [{ name: '', price: -1, stockQuantity: -1, categoryId: 'x' }, ['name', 'price', 'stockQuantity', 'categoryId']],
    ];
    for (const [input, fields] of cases) {
      expectValidationError(await call(C.updateProduct, { input: { id: product.id, ...input } }, admin), fields, JSON.stringify(input));
    }
    expect(await db.product(product.id)).toEqual(before);

    expectValidationError(await call(C.createCategory, { input: { name: '  ' } }, admin), ['name']);
    expectValidationError(await call(C.updateCategory, { input: { id: category.id, name: '' } }, admin), ['name']);
    expectValidationError(await call(C.updateCategory, { input: { id: 'bad', name: 'ok' } }, admin), ['id']);
    expect(await ok(C.category, { id: category.id })).toMatchObject({ name: category.name, updatedAt: category.updatedAt });
  });
});

describe('lists and pagination', () => {
  let category: { id: string };
  let names: string[];
  let ids: string[];

  beforeAll(async () => {
    category = await newCategory();
    const prefix = unique('Page');
    // Created out of order: lists go by name.
    const created = [];
    for (const n of [4, 1, 6, 0, 3, 5, 2])
      created.push(await newProduct({ name: `${prefix} ${n}`, categoryId: category.id, price: 100 + n }));
    const sorted = created.sort((a, b) => (a.name < b.name ? -1 : 1));
    names = sorted.map((p) => p.name);
    ids = sorted.map((p) => p.id);
  });

  it('products(categoryId, limit, offset): pages in name order that add up to the whole', async () => {
    const pages = [];
    for (const offset of [0, 3, 6]) pages.push(await ok(C.products, { categoryId: category.id, limit: 3, offset }));
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((p: { name: string }) => p.name)).toEqual(names);
    expect(await ok(C.products, { categoryId: category.id, limit: 3, offset: 7 })).toEqual([]);
    expect((await ok(C.products, { categoryId: category.id })).length).toBe(7); // default limit 20
    expect((await ok(C.products, { limit: 2 })).length).toBe(2);
    expectValidationError(await call(C.products, { limit: 0 }), ['limit']);
    expectValidationError(await call(C.products, { limit: 101 }), ['limit']);
    expectValidationError(await call(C.products, { offset: -1 }), ['offset']);
  });

  it('productsConnection: forward pages with opaque cursors, totalCount across pages', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    const infos = [];
    for (let page = 0; page < 4; page++) {
      const conn: any = await ok(C.connection, { first: 3, after, categoryId: category.id });
      expect(conn.totalCount).toBe(7);
      for (const edge of conn.edges) {
        // Opaque: neither the id nor the name shows through.
        expect(edge.cursor).not.toContain(edge.node.id);
        expect(edge.cursor).not.toContain('Page');
        seen.push(edge.node.id);
      }
      infos.push(conn.pageInfo);
      if (conn.edges.length) {
        expect(conn.pageInfo.startCursor).toBe(conn.edges[0].cursor);
        expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1).cursor);
      }
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
    expect(infos.map((i) => [i.hasNextPage, i.hasPreviousPage])).toEqual([
      [true, false],
      [true, true],
      [false, true],
    ]);

    // A cursor stays valid when products are added in front of it.
    const first = await ok(C.connection, { first: 2, categoryId: category.id });
    await newProduct({ name: '!!! first', categoryId: category.id });
    const next = await ok(C.connection, { first: 2, after: first.pageInfo.endCursor, categoryId: category.id });
    expect(next.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(ids.slice(2, 4));
    expect(next.totalCount).toBe(8);

    // Without a filter: the whole catalog, still consistent.
    const all = await ok(C.connection, { first: 5 });
    expect(all.edges.length).toBeLessThanOrEqual(5);
    expect(all.totalCount).toBeGreaterThanOrEqual(8);
  });

  it('a bad cursor or page size is a clear VALIDATION_ERROR', async () => {
    for (const after of ['garbage', 'eyJ4IjoxfQ', Buffer.from('["p1","a","not-a-uuid"]').toString('base64url'), '!!']) {
      const res = await call(C.connection, { first: 2, after });
      expectValidationError(res, ['after'], after);
      expect(res.body.errors![0].extensions!.validationErrors[0].message).toMatch(/cursor/i);
    }
    expectValidationError(await call(C.connection, { first: 0 }), ['first']);
    expectValidationError(await call(C.connection, { first: 101 }), ['first']);
    expectValidationError(await call(C.connection, { first: 1, categoryId: 'x' }), ['categoryId']);
  });
});

describe('federation fields', () => {
  it('Product.category and Category.products resolve across the supergraph and as entities', async () => {
    const category = await newCategory();
    const a = await newProduct({ name: unique('A'), categoryId: category.id });
    const b = await newProduct({ name: unique('B'), categoryId: category.id });
    const orphan = await newProduct();
    expect((await ok(C.product, { id: orphan.id })).category).toBeNull();
    const res = await ok(`query($id: ID!) { category(id: $id) { products { id category { id products { id } } } } }`, { id: category.id });
    expect(res.products.map((p: { id: string }) => p.id)).toEqual([a.id, b.id]);
    expect(res.products[0].category).toEqual({ id: category.id, products: [{ id: a.id }, { id: b.id }] });

    // Entities as other subgraphs (orders' OrderItem.product, the gateway's stockUpdated) reach them.
    const entities = await gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name category { id } } ... on Category { id name } } }`,
      {
        r: [
          { __typename: 'Product', id: a.id },
          { __typename: 'Category', id: category.id },
          { __typename: 'Product', id: NIL_UUID },
        ],
      },
      { url: `${inject('urls').catalog}/graphql` },
    );
    expect(entities.body.data!._entities).toEqual([
      { id: a.id, name: a.name, category: { id: category.id } },
      { id: category.id, name: category.name },
      null,
    ]);
  });
});

describe('read cache', () => {
  let redis: RedisCache;
  beforeAll(() => {
    redis = RedisCache.connect(inject('env').REDIS_URL);
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('reads fill the shared cache for a day; every write replaces what readers see', async () => {
    const category = await newCategory();
    const product = await newProduct({ categoryId: category.id, price: 100 });
    await ok(C.product, { id: product.id });
    await ok(C.category, { id: category.id });
    const cached = await redis.get(catalogCacheKeys.product(product.id));
    expect(JSON.parse(cached!)).toMatchObject({ id: product.id, price: '100' });
    expect(await redis.get(catalogCacheKeys.categoryProducts(category.id))).toBe(JSON.stringify([product.id]));

    await ok(C.updateProduct, { input: { id: product.id, price: 250, name: `${product.name} v2`, stockQuantity: 9 } }, admin);
    expect(await ok(C.product, { id: product.id })).toMatchObject({ price: 250, name: `${product.name} v2`, stockQuantity: 9 });
    expect((await ok(C.category, { id: category.id })).products).toEqual([{ id: product.id, name: `${product.name} v2`, price: 250 }]);

    await ok(C.updateCategory, { input: { id: category.id, name: `${category.name} v2` } }, admin);
    expect((await ok(C.category, { id: category.id })).name).toBe(`${category.name} v2`);
    expect((await ok(C.categories)).find((c: { id: string }) => c.id === category.id).name).toBe(`${category.name} v2`);

    const extra = await newProduct({ categoryId: category.id, name: `${product.name} z` });
    expect((await ok(C.category, { id: category.id })).products.map((p: { id: string }) => p.id)).toEqual([product.id, extra.id]);
    await ok(C.deleteProduct, { id: product.id }, admin);
    expect(await ok(C.product, { id: product.id })).toBeNull();
    expect((await ok(C.category, { id: category.id })).products.map((p: { id: string }) => p.id)).toEqual([extra.id]);
  });
});

describe('cross-replica invalidation', () => {
  let realBus: NatsEventBus;
  let gated: GatedBus<typeof Subjects.CacheKeyInvalidated>;
  let replica: CatalogService;
  let replicaUrl: string;
  let redis: RedisCache;

  beforeAll(async () => {
    const env = inject('env');
    realBus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
    // Replica 2's bus: the real one, except that its invalidations can be held back.
    gated = new GatedBus(realBus, Subjects.CacheKeyInvalidated, (event) => event.data.keys);
    redis = RedisCache.connect(env.REDIS_URL);
    replica = await buildCatalogService({
      // Keeps products in its own memory for 5 minutes: only the broadcast can make it drop them.
      config: loadCatalogConfig({
        ...env,
        PORT: '0',
        CATALOG_LOCAL_TTL: '300',
        AUTH_JWKS_URL: `${inject('urls').auth}/.well-known/jwks.json`,
      }),
      databaseUrl: env.DATABASE_URL,
      infrastructure: { bus: gated.bus, cache: redis },
      logger: createLogger('catalog-replica-2', env.LOG_LEVEL as 'silent'),
    });
    replicaUrl = `http://127.0.0.1:${await replica.listen(0, '127.0.0.1')}/graphql`;
  });

  afterAll(async () => {
    await gated?.release();
    await replica?.close();
    await realBus?.close();
    await redis?.close();
  });

  const viaReplica2 = async (id: string) => (await gql(C.product, { id }, { url: replicaUrl })).body.data!.product;
  const categoryViaReplica2 = async (id: string) => (await gql(C.category, { id }, { url: replicaUrl })).body.data!.category;

  it('a second replica never serves a stale product after a write through the gateway', async () => {
    const category = await newCategory();
    const product = await newProduct({ price: 100, categoryId: category.id });
    for (let i = 1; i <= 5; i++) {
      expect((await viaReplica2(product.id)).price).toBe(100 * i); // warm replica 2's own copy
      expect((await categoryViaReplica2(category.id)).products[0].price).toBe(100 * i);
      await ok(C.updateProduct, { input: { id: product.id, price: 100 * (i + 1) } }, admin);
      expect((await ok(C.product, { id: product.id })).price).toBe(100 * (i + 1));
      await eventually(async () => (await viaReplica2(product.id)).price === 100 * (i + 1));
      expect((await categoryViaReplica2(category.id)).products[0].price).toBe(100 * (i + 1));
    }
    await ok(C.deleteProduct, { id: product.id }, admin);
    await eventually(async () => (await viaReplica2(product.id)) === null);
  });

  it('without the broadcast replica 2 keeps its copy: the invalidation is what makes it fresh', async () => {
    const created = Date.now();
    const product = await newProduct({ price: 10 });
    // Warmed once the creation's announcements (the writer's second round comes a second later) are over.
    await gated.quiet(catalogCacheKeys.product(product.id), created);
    expect((await viaReplica2(product.id)).price).toBe(10);
    gated.paused = true;
    try {
      await ok(C.updateProduct, { input: { id: product.id, price: 20 } }, admin);
      await eventually(async () => gated.held.length > 0);
      expect((await ok(C.product, { id: product.id })).price).toBe(20);
      expect((await viaReplica2(product.id)).price).toBe(10);
    } finally {
      await gated.release();
    }
    expect((await viaReplica2(product.id)).price).toBe(20);
  });

  it('a write on replica 2 reaches the replica behind the gateway', async () => {
    const product = await newProduct({ name: unique('Rev'), price: 1 });
    expect((await ok(C.product, { id: product.id })).price).toBe(1);
    const res = await gql(C.updateProduct, { input: { id: product.id, price: 2 } }, { url: replicaUrl, token: admin.accessToken });
    expect(res.body.data!.updateProduct.price).toBe(2);
    await eventually(async () => (await ok(C.product, { id: product.id })).price === 2);
  });
});

describe('sample catalog seed', () => {
  /** A product upsert no catalog publishes: once a serial consumer has it, everything published before it was delivered. */
  const marker = () => ({
    productId: randomUUID(),
    name: unique('Marker'),
    price: '1',
    categoryId: null,
    updatedAt: new Date().toISOString(),
  });

  it('is idempotent: a second run (or a second replica) inserts nothing', async () => {
    // Real NATS (a namespace of its own) and Redis (keys of its own), as the catalog runs.
    const priv = await startPrivateCatalog({ prefix: 'catalog_seed' });
    try {
      const upserts: string[] = [];
      await priv.bus.subscribe(Subjects.CatalogProductUpserted, async (e) => void upserts.push(e.data.productId), {
        durable: 'seed-test',
        serial: true,
      });
      const first = await seedSampleCatalog(priv.service.deps);
      expect(first).toEqual({ categories: SAMPLE_CATEGORIES.length, products: SAMPLE_PRODUCTS.length });
      const productIds = (await priv.sql('select id from $schema.products')).map((r) => r.id as string).sort();
      expect(productIds).toHaveLength(SAMPLE_PRODUCTS.length);
      // The first run announces each product it inserted.
      await eventually(async () => new Set(upserts).size === SAMPLE_PRODUCTS.length);
      expect([...new Set(upserts)].sort()).toEqual(productIds);

      const [second, third] = await Promise.all([seedSampleCatalog(priv.service.deps), seedSampleCatalog(priv.service.deps)]);
      expect(second).toEqual({ categories: 0, products: 0 });
      expect(third).toEqual({ categories: 0, products: 0 });
      expect((await priv.sql('select count(*)::int as n from $schema.categories'))[0].n).toBe(SAMPLE_CATEGORIES.length);
      expect((await priv.sql('select count(*)::int as n from $schema.products'))[0].n).toBe(SAMPLE_PRODUCTS.length);
      expect((await priv.sql('select count(*)::int as n from $schema.products where category_id is null'))[0].n).toBe(0);
      // ... and the later runs announce nothing: once an upsert published after them has come
      // through the same serial consumer, nothing else came.
      const last = marker();
      await priv.bus.publish(Subjects.CatalogProductUpserted, last);
      await eventually(async () => upserts.includes(last.productId));
      expect(upserts.filter((id) => id !== last.productId).sort()).toEqual(productIds);

      // Reads of the seeded catalog are cached in the real Redis, under the instance's own keys.
      const [someId] = productIds;
      expect(await getProduct(priv.service.deps, someId)).toMatchObject({ id: someId });
      const redis = RedisCache.connect(inject('env').REDIS_URL);
      try {
        expect(await redis.get(priv.cache.key(catalogCacheKeys.product(someId)))).toContain(someId);
        expect(await redis.get(catalogCacheKeys.product(someId))).toBeNull();
      } finally {
        await redis.close();
      }
    } finally {
      await priv.close();
    }
  });

  it('re-announces every stored product (what a catalog does at start, for read models created later)', async () => {
    const priv = await startPrivateCatalog({ prefix: 'catalog_announce' });
    // A stream that never carried the original upserts, for a read model that came after them:
    // a NATS namespace of its own (on the catalog's own stream, the bus would rightly drop the
    // announcements as duplicates of those upserts within its dedupe window).
    const later = await NatsEventBus.connect({ url: inject('env').NATS_URL, namespace: `tlate${randomBytes(4).toString('hex')}` });
    try {
      await seedSampleCatalog(priv.service.deps);
      const heard = new Map<string, EventEnvelope<typeof Subjects.CatalogProductUpserted>['data']>();
      await later.subscribe(Subjects.CatalogProductUpserted, async (e) => void heard.set(e.data.productId, e.data), {
        durable: 'late-read-model',
      });
      const announced = await announceAllProducts({ ...priv.service.deps, bus: later });
      expect(announced).toBe(SAMPLE_PRODUCTS.length);
      await eventually(async () => heard.size === SAMPLE_PRODUCTS.length);
      const rows = await priv.sql('select id, name, price::text as price from $schema.products');
      expect([...heard.keys()].sort()).toEqual(rows.map((r) => r.id).sort());
      for (const row of rows) expect(heard.get(row.id)).toMatchObject({ productId: row.id, name: row.name });
    } finally {
      await later.deleteNamespaceStreams().catch(() => {});
      await later.close();
      await priv.close();
    }
  });
});

describe('review: unicode names and forged cursors', () => {
  it('a name that grows past 200 characters when normalised is a VALIDATION_ERROR, not an internal error', async () => {
    // "ﬃ" (U+FB03) is one character that NFKC turns into "ffi"; "İ" lower-cases to two code points.
    for (const name of [`${unique('Lig')} ${'ﬃ'.repeat(90)}`, 'İ'.repeat(150)]) {
      const res = await call(C.createProduct, { input: { name, price: 10 } }, admin);
      expectValidationError(res, ['name'], name.slice(0, 20));
      expectValidationError(await call(C.createCategory, { input: { name } }, admin), ['name']);
    }
  });

  it('names that look blank, reorder text or hold broken Unicode are a VALIDATION_ERROR; real-world Unicode is kept exactly', async () => {
    for (const bad of [
      '\u200b',
      '\u200b\u2060 \ufeff',
      `${unique('Bidi')}\u202egpj.exe`,
      `${unique('Iso')}\u2067x`,
      `${unique('C1')}\u0085`,
      `${unique('Lone')}\ud800`,
    ]) {
      expectValidationError(await call(C.createProduct, { input: { name: bad, price: 10 } }, admin), ['name'], JSON.stringify(bad));
      expectValidationError(await call(C.createCategory, { input: { name: bad } }, admin), ['name'], JSON.stringify(bad));
    }
    expectValidationError(
      await call(C.createProduct, { input: { name: unique('Desc'), price: 10, description: 'broken \udc00' } }, admin),
      ['description'],
    );
    for (const good of [`${unique('Family')} 👨‍👩‍👧`, `${unique('Persian')} می‌خواهم`, `${unique('Kana')} ｶﾞｷﾞ 東京`]) {
      const created = await ok(C.createProduct, { input: { name: good, price: 10 } }, admin);
      expect(created.name).toBe(good);
    }
  });

  it('a forged cursor holding characters Postgres refuses is a VALIDATION_ERROR, not an internal error', async () => {
    for (const key of ['\u0000', 'a\u0000b', '\u0001']) {
      const after = Buffer.from(JSON.stringify(['p1', key, NIL_UUID])).toString('base64url');
      const res = await call(C.connection, { first: 2, after });
      expectValidationError(res, ['after'], JSON.stringify(key));
    }
  });
});

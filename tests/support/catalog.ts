/**
 * Helpers shared by the catalog's system tests (catalog, inventory): GraphQL documents, read-only
 * SQL access to a catalog schema (to prove what was, or was not, written), and a private catalog
 * instance (its own schema, its own NATS namespace and Redis keys of its own, on the real
 * services) for tests that must not disturb the running platform.
 */
import { randomBytes } from 'node:crypto';
import { buildCatalogService, type CatalogService, loadCatalogConfig } from '@app/catalog';
import { NatsEventBus } from '@app/events';
import { createLogger } from '@app/platform';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { loginAdmin } from './client.js';
import { NamespacedCache } from './namespaced-cache.js';

export const CATEGORY_FIELDS = 'id name createdAt updatedAt';
export const PRODUCT_FIELDS = 'id name description price stockQuantity categoryId createdAt updatedAt';

export const C = {
  category: `query Category($id: ID!) { category(id: $id) { ${CATEGORY_FIELDS} products { id name price } } }`,
  categories: `query Categories { categories { ${CATEGORY_FIELDS} } }`,
  product: `query Product($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} category { id name } } }`,
  products: `query Products($categoryId: ID, $limit: Int, $offset: Int) {
    products(categoryId: $categoryId, limit: $limit, offset: $offset) { id name price stockQuantity category { id name } } }`,
  connection: `query Connection($first: Int, $after: String, $categoryId: ID) {
    productsConnection(first: $first, after: $after, categoryId: $categoryId) {
      totalCount edges { cursor node { id name price } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
  createCategory: `mutation CreateCategory($input: CreateCategoryInput!) { createCategory(input: $input) { ${CATEGORY_FIELDS} } }`,
  updateCategory: `mutation UpdateCategory($input: UpdateCategoryInput!) { updateCategory(input: $input) { ${CATEGORY_FIELDS} } }`,
  deleteCategory: `mutation DeleteCategory($id: ID!) { deleteCategory(id: $id) }`,
  createProduct: `mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT_FIELDS} category { id name } } }`,
  updateProduct: `mutation UpdateProduct($input: UpdateProductInput!) { updateProduct(input: $input) { ${PRODUCT_FIELDS} category { id name } } }`,
  deleteProduct: `mutation DeleteProduct($id: ID!) { deleteProduct(id: $id) }`,
};

let admin: Promise<{ accessToken: string }> | undefined;
/** The test admin's token (logged in once per file). */
export const adminUser = () => (admin ??= loginAdmin());

/** Read-only access to a catalog schema (the platform's `catalog` unless told), opened for the file's tests. */
export function useCatalogDb(schema = 'catalog') {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
  });
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query(sql.replaceAll('$schema', `"${schema}"`), params)).rows;
  return {
    rows,
    product: async (id: string) => (await rows('select * from $schema.products where id = $1', [id]))[0],
    productsNamed: (name: string) => rows('select * from $schema.products where name = $1', [name]),
    categoriesNamed: (name: string) => rows('select * from $schema.categories where name = $1', [name]),
  };
}

export interface PrivateCatalog {
  service: CatalogService;
  schema: string;
  /** NATS namespace of this instance (its streams are deleted at close). */
  namespace: string;
  /** A bus on the same namespace, for the test to publish and listen. */
  bus: NatsEventBus;
  /** The instance's cache: the real Redis, its keys under a namespace of their own (deleted at close). */
  cache: NamespacedCache;
  /** Plain SQL on the instance's schema. */
  sql: (text: string, params?: unknown[]) => Promise<any[]>;
  /** Another replica on the same schema and namespace (competing consumers). */
  addReplica(): Promise<CatalogService>;
  close(): Promise<void>;
}

/**
 * A catalog instance of its own, on the real Postgres, NATS and Redis: a fresh schema (dropped at
 * close), a fresh NATS namespace (its streams deleted at close) and Redis keys under a namespace
 * of their own (deleted at close). There is no in-memory variant: the system tests promise the
 * real services.
 */
export async function startPrivateCatalog(
  options: { prefix?: string /** Always NATS (kept for callers that say so). */; nats?: true } = {},
): Promise<PrivateCatalog> {
  const env = inject('env');
  const suffix = randomBytes(4).toString('hex');
  const schema = `${options.prefix ?? 'catalog_t'}_${suffix}`;
  const namespace = `tcat${suffix}`;
  const logger = createLogger('catalog-private', env.LOG_LEVEL as 'silent');
  const config = loadCatalogConfig({
    ...env,
    DB_SCHEMA: schema,
    NATS_NAMESPACE: namespace,
    PORT: '0',
    DB_POOL_MAX: '12',
    AUTH_JWKS_URL: `${inject('urls').auth}/.well-known/jwks.json`,
  });
  const bus = await NatsEventBus.connect({ url: env.NATS_URL, namespace });
  const cache = NamespacedCache.connect(env.REDIS_URL, `tcat${suffix}`);
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
  const services: CatalogService[] = [];
  const build = async () => {
    const service = await buildCatalogService({ config, databaseUrl: env.DATABASE_URL, infrastructure: { bus, cache }, logger });
    services.push(service);
    return service;
  };
  const service = await build();
  return {
    service,
    schema,
    namespace,
    bus,
    cache,
    sql: async (text, params = []) => (await pool.query(text.replaceAll('$schema', `"${schema}"`), params)).rows,
    addReplica: build,
    async close() {
      for (const s of services.reverse()) await s.close();
      await bus.deleteNamespaceStreams().catch(() => {});
      await bus.close();
      await cache.close();
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    },
  };
}

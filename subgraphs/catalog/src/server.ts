import { readFileSync } from 'node:fs';
import {
  createMetrics,
  createSubgraphServer,
  dependencyChecks,
  OutboxRelay,
  openSubgraphFoundation,
  type Service,
  type SubgraphServiceOptions,
  subgraphService,
} from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'graphql';
import { createCatalogCache } from './catalog-cache.js';
import type { CatalogConfig } from './config.js';
import { database } from './database.js';
import type { CatalogDeps } from './deps.js';
import { subscribeHandlers } from './handlers/index.js';
import { buildContext, createResolvers } from './resolvers/index.js';
import { announceAllProducts } from './usecases/announce-all-products.js';
import { pruneInbox } from './usecases/prune-inbox.js';
import { seedSampleCatalog } from './usecases/seed-sample-catalog.js';

/** How often each replica forgets old inbox entries. */
const INBOX_PRUNE_INTERVAL_MS = 6 * 3600_000;

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export type CatalogServiceOptions = SubgraphServiceOptions<CatalogConfig>;

export interface CatalogService extends Service {
  deps: CatalogDeps;
}

/** Builds the catalog subgraph (tests import this); `index.ts` only listens. */
export async function buildCatalogService(options: CatalogServiceOptions): Promise<CatalogService> {
  const { config, logger, infra, orm } = await openSubgraphFoundation('catalog', options, database);
  const em = orm.em as EntityManager;
  const metrics = createMetrics('catalog');
  const cache = createCatalogCache({ shared: infra.cache, bus: infra.bus, localTtlSeconds: config.CATALOG_LOCAL_TTL, metrics, logger });
  const relay = new OutboxRelay({
    name: 'catalog',
    em,
    bus: infra.bus,
    logger,
    schema: config.DB_SCHEMA,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL * 1000,
  });
  const deps: CatalogDeps = {
    em,
    bus: infra.bus,
    cache,
    config,
    logger,
    nudgeOutbox: () => relay.nudge(),
    publishCommitted: (records) => relay.publishCommitted(records),
  };
  relay.start();

  const subscriptions = [await cache.listen(), ...(await subscribeHandlers(deps))];
  if (config.SEED_SAMPLE_CATALOG) {
    const seeded = await seedSampleCatalog(deps);
    if (seeded.categories || seeded.products) logger.info(seeded, 'sample catalog seeded');
  }

  let stopping = false;
  // In the background: readiness does not wait for a large catalog to be re-announced.
  const announcing = config.CATALOG_ANNOUNCE_ON_START
    ? announceAllProducts(deps, () => stopping)
        .then((n) => logger.info({ products: n }, 'products announced for read models'))
        .catch((err) => logger.warn({ err }, 'announcing the products at start failed'))
    : Promise.resolve();

  const prune = () =>
    pruneInbox(deps)
      .then((n) => n && logger.info({ pruned: n }, 'old inbox entries forgotten'))
      .catch((err) => logger.warn({ err }, 'inbox pruning failed'));
  await prune();
  const pruneTimer = setInterval(prune, INBOX_PRUNE_INTERVAL_MS);
  pruneTimer.unref();

  const server = await createSubgraphServer({
    name: 'catalog',
    typeDefs,
    resolvers: createResolvers(deps),
    buildContext: buildContext(deps),
    verifier: infra.verifier,
    logger,
    production: config.NODE_ENV === 'production',
    healthChecks: dependencyChecks(orm, infra),
    bus: infra.bus,
    metrics,
  });

  return subgraphService('catalog', server, deps, [
    () => {
      stopping = true;
      clearInterval(pruneTimer);
    },
    () => announcing,
    () => Promise.all(subscriptions.map((s) => s.unsubscribe())),
    // A round in progress finishes; unsent rows stay for the next start (any replica).
    () => relay.stop(),
    () => cache.close(),
    () => infra.close(),
    () => orm.close(),
  ]);
}
export { type CatalogConfig, loadCatalogConfig } from './config.js';
export { INVENTORY_DURABLES } from './handlers/index.js';
export { announceAllProducts } from './usecases/announce-all-products.js';
export { commitInventory } from './usecases/commit-inventory.js';
// For tests and tools that drive the use cases of a built service (`service.deps`) directly.
export { createCategory } from './usecases/create-category.js';
export { createProduct } from './usecases/create-product.js';
export { getProduct } from './usecases/get-product.js';
export { handleInventoryCommand } from './usecases/handle-inventory-command.js';
export { pruneInbox } from './usecases/prune-inbox.js';
export { releaseInventory } from './usecases/release-inventory.js';
export { reserveInventory } from './usecases/reserve-inventory.js';
export { SAMPLE_CATEGORIES, SAMPLE_PRODUCTS, seedSampleCatalog } from './usecases/seed-sample-catalog.js';
export { updateProduct } from './usecases/update-product.js';

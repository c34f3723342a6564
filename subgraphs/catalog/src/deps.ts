import type { EventBus } from '@app/events';
import type { Logger } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CatalogCache } from './catalog-cache.js';
import type { CatalogConfig } from './config.js';

export interface CatalogDeps {
  em: EntityManager;
  bus: EventBus;
  /** Two-level read cache (shared + in process) with cross-replica invalidation. */
  cache: CatalogCache;
  config: CatalogConfig;
  logger: Logger;
}

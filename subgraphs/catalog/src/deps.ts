import type { EventBus } from '@app/events';
import type { Logger, OutboxRecord } from '@app/platform';
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
  /** Asks the outbox relay to publish now (call it after every commit that wrote to the outbox). */
  nudgeOutbox(): void;
  /** After a commit that wrote these outbox rows: publishes them now (OutboxRelay.publishCommitted; the saga's path). */
  publishCommitted(records: readonly OutboxRecord[]): void;
}

import type { EventBus } from '@app/events';
import type { Cache, Logger } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { UsersConfig } from './config.js';
import type { ProfileStore } from './profile-store.js';

export interface UsersDeps {
  em: EntityManager;
  cache: Cache;
  bus: EventBus;
  profiles: ProfileStore;
  config: UsersConfig;
  logger: Logger;
  /** Asks the outbox relay to publish now (call it after every commit that wrote to the outbox). */
  nudgeOutbox(): void;
}

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
}

import type { EventBus } from '@app/events';
import type { Logger } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { WorkoutsConfig } from './config.js';

export interface WorkoutsDeps {
  em: EntityManager;
  bus: EventBus;
  config: WorkoutsConfig;
  logger: Logger;
  /** Asks the outbox relay to publish now (call it after every commit that wrote to the outbox). */
  nudgeOutbox(): void;
}

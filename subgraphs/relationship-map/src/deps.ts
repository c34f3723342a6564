import type { EventBus } from '@app/events';
import type { Logger } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RelationshipMapConfig } from './config.js';
import type { FacebookClient, TokenCipher } from './facebook/index.js';

export interface RelationshipMapDeps {
  em: EntityManager;
  bus: EventBus;
  config: RelationshipMapConfig;
  logger: Logger;
  /** Asks the outbox relay to publish now (call it after every commit that wrote to the outbox). */
  nudgeOutbox(): void;
  /** Null when FACEBOOK_GRAPH_URL is unset: the Facebook operations answer SERVICE_UNAVAILABLE. */
  facebook: FacebookClient | null;
  /** Encrypts Facebook tokens at rest. */
  cipher: TokenCipher;
}

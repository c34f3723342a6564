import type { EventBus } from '@app/events';
import type { Cache, Logger } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AccountStore } from './account-store.js';
import type { AuthConfig } from './config.js';
import type { KeyStore } from './keys/key-store.js';

/** Everything the auth use cases touch, passed in so tests and the embedded mode can wire it. */
export interface AuthDeps {
  em: EntityManager;
  cache: Cache;
  bus: EventBus;
  keys: KeyStore;
  /** What the User type shows of each account, cached (erasure invalidates it). */
  accounts: AccountStore;
  config: AuthConfig;
  logger: Logger;
  /** Asks the outbox relay to publish now (call it after every commit that wrote to the outbox). */
  nudgeOutbox(): void;
  /** See passwords.ts: checked when the user is unknown so timing does not tell. */
  decoyHash: string;
}

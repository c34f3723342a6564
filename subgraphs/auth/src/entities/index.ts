import { defineOutboxMessage } from '@app/platform';
import { RefreshToken } from './refresh-token.js';
import { SigningKey } from './signing-key.js';
import { User } from './user.js';

export { RefreshToken, SigningKey, User };
/** This service's outbox: its events, written in the transaction of the change they announce (see @app/platform). */
export const OutboxMessage = defineOutboxMessage();
export const entities = [User, RefreshToken, SigningKey, OutboxMessage];

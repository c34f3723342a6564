import { defineOutboxMessage } from '@app/platform';
import { DeletionRequest } from './deletion-request.js';
import { Profile } from './profile.js';

export { DeletionRequest, Profile };
/** This service's outbox: its events, written in the transaction of the change they announce (see @app/platform). */
export const OutboxMessage = defineOutboxMessage();
export const entities = [Profile, DeletionRequest, OutboxMessage];

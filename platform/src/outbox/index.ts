// The transactional outbox every service publishes its events through (see outbox-relay.ts).
import { z } from 'zod';

export { groupOutboxRecords } from './group-outbox-records.js';
export { defineOutboxMessage, OUTBOX_ENTITY_NAME, type OutboxMessage, type OutboxMessageSchema, outboxEntity } from './outbox-message.js';
export { outboxMessagesQuery } from './outbox-messages-query.js';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
export {
  type OutboxBroadcast,
  type OutboxRecord,
  outboxInsert,
  outboxRecord,
  outboxRowParams,
  type WriteOutboxOptions,
  writeOutbox,
  writeOutboxRecord,
} from './outbox-writer.js';

/** The relay's setting, for a service's config (fractions allowed: tests poll faster). */
export const outboxEnv = {
  /** Seconds between two polls of the outbox (each commit also nudges the relay at once). */
  OUTBOX_POLL_INTERVAL: z.coerce.number().positive().max(86_400).default(1),
};

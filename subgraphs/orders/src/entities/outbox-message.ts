import { defineOutboxMessage, type OutboxMessage as OutboxRow } from '@app/platform';

/**
 * A message to publish, written in the same transaction as the state change it announces (the
 * platform's outbox: see `@app/platform` outbox). Orders' rows have no `msgId`: the relay
 * publishes them with their row `id` as the NATS message id.
 */
export const OutboxMessage = defineOutboxMessage();
export type OutboxMessage = OutboxRow;

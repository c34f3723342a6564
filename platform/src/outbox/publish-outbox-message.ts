import type { DurableSubject, EventBus, FanoutSubject, PayloadOf } from '@app/events';

/** What publishing an outbox row needs, whether read back from the table or just written. */
export interface OutboxMessageToPublish {
  id: string;
  msgId: string | null;
  subject: string;
  kind: string;
  payload: Record<string, unknown>;
}

/**
 * Publishes one outbox row as its kind says: a durable subject with `bus.publish` and the row's
 * message id (`msgId`, else its id: a re-send is dropped by JetStream's dedupe window), a fan-out
 * (`live.*`) with `bus.broadcast`. The bus call is made before this returns, so calls made in a
 * row leave in that order; a throw comes back as a rejection.
 */
export async function publishOutboxMessage(bus: EventBus, message: OutboxMessageToPublish): Promise<void> {
  if (message.kind === 'fanout') await bus.broadcast(message.subject as FanoutSubject, message.payload as PayloadOf<FanoutSubject>);
  else
    await bus.publish(message.subject as DurableSubject, message.payload as PayloadOf<DurableSubject>, {
      msgId: message.msgId ?? message.id,
    });
}

/** A publish's outcome, never a rejection (callers look at every row's, in order). */
export const settle = (publish: Promise<void>): Promise<{ error?: unknown }> =>
  publish.then(
    () => ({}),
    (error: unknown) => ({ error: error ?? new Error('publish failed') }),
  );

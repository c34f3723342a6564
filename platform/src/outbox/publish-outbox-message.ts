import type { DurableSubject, EventBus, FanoutSubject, PayloadOf } from '@app/events';

/** What publishing an outbox row needs, whether read back from the table or just written. */
export interface OutboxMessageToPublish {
  id: string;
  msgId: string | null;
  subject: string;
  kind: string;
  payload: Record<string, unknown>;
  /** A broadcast sent right after the message (null: none), with its payload (null: `payload`). */
  broadcastSubject?: string | null;
  broadcastPayload?: Record<string, unknown> | null;
}

/**
 * Publishes one outbox row as its kind says: a durable subject with `bus.publish` and the row's
 * message id (`msgId`, else its id: a re-send is dropped by JetStream's dedupe window), a fan-out
 * (`live.*`) with `bus.broadcast`; then the row's broadcast, if it carries one. The bus calls are
 * made before this returns, so calls made in a row leave in that order; a throw comes back as a
 * rejection (the row stays unsent and goes again, both messages: the durable copy is dropped as a
 * duplicate, the broadcast may arrive twice, as after any relay takeover).
 */
export function publishOutboxMessage(bus: EventBus, message: OutboxMessageToPublish): Promise<void> {
  try {
    const own =
      message.kind === 'fanout'
        ? bus.broadcast(message.subject as FanoutSubject, message.payload as PayloadOf<FanoutSubject>)
        : bus.publish(message.subject as DurableSubject, message.payload as PayloadOf<DurableSubject>, {
            msgId: message.msgId ?? message.id,
          });
    if (!message.broadcastSubject) return own;
    // Sent now, not after the durable copy's acknowledgement: both leave in the same write.
    const live = bus.broadcast(
      message.broadcastSubject as FanoutSubject,
      (message.broadcastPayload ?? message.payload) as PayloadOf<FanoutSubject>,
    );
    return Promise.all([own, live]).then(() => undefined);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** A publish's outcome, never a rejection (callers look at every row's, in order). */
export const settle = (publish: Promise<void>): Promise<{ error?: unknown }> =>
  publish.then(
    () => ({}),
    (error: unknown) => ({ error: error ?? new Error('publish failed') }),
  );

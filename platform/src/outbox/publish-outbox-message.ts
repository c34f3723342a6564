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
  /** Further messages of the row, published after this one, in order (null: none). */
  followers?: readonly OutboxFollower[] | null;
}

/** A further message of an outbox row (`followers`): published as the row's own is, with its own message id. */
export type OutboxFollower = Omit<OutboxMessageToPublish, 'followers'>;

/**
 * Publishes one outbox row as its kind says: a durable subject with `bus.publish` and the row's
 * message id (`msgId`, else its id: a re-send is dropped by JetStream's dedupe window), a fan-out
 * (`live.*`) with `bus.broadcast`; then the row's broadcast, if it carries one; then each of its
 * followers the same way. Every bus call is made before this returns, so calls made in a row
 * leave in that order (the broadcasts do not wait for a durable copy's acknowledgement); a throw
 * comes back as a rejection: the row stays unsent and goes again, every message of it (durable
 * copies are dropped as duplicates, a broadcast may arrive twice, as after any relay takeover).
 */
export function publishOutboxMessage(bus: EventBus, message: OutboxMessageToPublish): Promise<void> {
  try {
    const calls = [message, ...(message.followers ?? [])].flatMap((m) => publishOne(bus, m));
    return calls.length === 1 ? calls[0] : Promise.all(calls).then(() => undefined);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** One message's bus calls: its own publish, then its broadcast. */
function publishOne(bus: EventBus, message: OutboxFollower): Promise<void>[] {
  const own =
    message.kind === 'fanout'
      ? bus.broadcast(message.subject as FanoutSubject, message.payload as PayloadOf<FanoutSubject>)
      : bus.publish(message.subject as DurableSubject, message.payload as PayloadOf<DurableSubject>, {
          msgId: message.msgId ?? message.id,
        });
  if (!message.broadcastSubject) return [own];
  const live = bus.broadcast(
    message.broadcastSubject as FanoutSubject,
    (message.broadcastPayload ?? message.payload) as PayloadOf<FanoutSubject>,
  );
  return [own, live];
}

/** A publish's outcome, never a rejection (callers look at every row's, in order). */
export const settle = (publish: Promise<void>): Promise<{ error?: unknown }> =>
  publish.then(
    () => ({}),
    (error: unknown) => ({ error: error ?? new Error('publish failed') }),
  );

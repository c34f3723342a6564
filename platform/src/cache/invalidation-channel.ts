import type { EventBus, FanoutSubject, PayloadOf, Subscription } from '@app/events';

/** How the replicas sharing a TwoLevelCache tell each other which entries changed. */
export interface InvalidationChannel {
  /** Tells every replica (this one included) that the entries `ids` changed. */
  announce(ids: readonly string[]): Promise<void>;
  /** Calls `drop` with the ids of every announcement any replica makes. */
  listen(drop: (ids: string[]) => void): Promise<Subscription>;
}

/** How ids travel in the messages of one fan-out subject. */
export interface InvalidationCodec<S extends FanoutSubject> {
  /** The messages that announce `ids`: one carrying them all, or one per id, as the subject's payload allows. */
  encode(ids: readonly string[]): PayloadOf<S>[];
  /** The ids one message announces. */
  decode(data: PayloadOf<S>): string[];
}

/**
 * Announcements as broadcasts on a fan-out subject of the event bus (core NATS, or the in-process
 * bus): every replica subscribed hears every one, nothing is stored.
 */
export function busInvalidation<S extends FanoutSubject>(bus: EventBus, subject: S, codec: InvalidationCodec<S>): InvalidationChannel {
  return {
    async announce(ids) {
      await Promise.all(codec.encode(ids).map((data) => bus.broadcast(subject, data)));
    },
    listen(drop) {
      return bus.onBroadcast(subject, async (event) => drop(codec.decode(event.data)));
    },
  };
}

import type { Subscription as BusSubscription, EventBus, FanoutSubject } from '@app/events';

type Listener = (data: unknown) => void;

interface SubjectListeners {
  /** Listeners by the entity (a product, an order) they follow. */
  byKey: Map<string, Set<Listener>>;
  subscribing: Promise<BusSubscription>;
}

/**
 * One bus listener per subject for the whole gateway, dispatching each event to the live
 * subscriptions that follow its entity: an event costs its own subscribers, not every
 * subscriber of the subject.
 */
export class Fanout {
  private readonly subjects = new Map<string, SubjectListeners>();
  constructor(private readonly bus: EventBus) {}

  /**
   * Calls `listener` with every event on `subject` whose `keyOf` (what the event is about; the
   * first caller's for the subject) is one of `keys`; returns how to stop.
   */
  async add<E>(subject: FanoutSubject, keyOf: (data: E) => string, keys: readonly string[], listener: Listener): Promise<() => void> {
    let entry = this.subjects.get(subject);
    if (!entry) {
      const byKey = new Map<string, Set<Listener>>();
      const subscribing = this.bus.onBroadcast(subject, async (event) => {
        const listeners = byKey.get(keyOf(event.data as E));
        if (listeners) for (const l of listeners) l(event.data);
      });
      const created: SubjectListeners = { byKey, subscribing };
      entry = created;
      this.subjects.set(subject, created);
      // The bus could not subscribe (NATS unreachable for a moment): forget the attempt, so the
      // next subscriber tries again instead of meeting the same failure until a restart.
      subscribing.catch(() => {
        if (this.subjects.get(subject) === created) this.subjects.delete(subject);
      });
    }
    await entry.subscribing;
    const { byKey } = entry;
    for (const key of keys) {
      let listeners = byKey.get(key);
      if (!listeners) byKey.set(key, (listeners = new Set()));
      listeners.add(listener);
    }
    return () => {
      for (const key of keys) {
        const listeners = byKey.get(key);
        if (listeners?.delete(listener) && listeners.size === 0) byKey.delete(key);
      }
    };
  }

  async close() {
    for (const { subscribing } of this.subjects.values()) await (await subscribing.catch(() => null))?.unsubscribe();
    this.subjects.clear();
  }
}

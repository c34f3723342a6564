import type { Subscription as BusSubscription, EventBus, FanoutSubject } from '@app/events';

type Listener = (data: unknown) => void;

/** One bus listener per subject for the whole gateway, dispatching to every live subscription. */
export class Fanout {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly subscriptions = new Map<string, Promise<BusSubscription>>();
  constructor(private readonly bus: EventBus) {}

  async add(subject: FanoutSubject, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(subject);
    if (!set) {
      const listeners = new Set<Listener>();
      set = listeners;
      this.listeners.set(subject, listeners);
      const subscribing = this.bus.onBroadcast(subject, async (event) => {
        for (const l of listeners) l(event.data);
      });
      this.subscriptions.set(subject, subscribing);
      // The bus could not subscribe (NATS unreachable for a moment): forget the attempt, so the
      // next subscriber tries again instead of meeting the same failure until a restart.
      subscribing.catch(() => {
        if (this.subscriptions.get(subject) !== subscribing) return;
        this.subscriptions.delete(subject);
        this.listeners.delete(subject);
      });
    }
    await this.subscriptions.get(subject);
    set.add(listener);
    return () => set!.delete(listener);
  }

  async close() {
    for (const sub of this.subscriptions.values()) await (await sub.catch(() => null))?.unsubscribe();
    this.subscriptions.clear();
    this.listeners.clear();
  }
}

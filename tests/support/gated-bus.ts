import type { EventBus, EventEnvelope, FanoutSubject, Handler } from '@app/events';
import { eventually } from './client.js';

/**
 * A second replica's event bus: the real one, except that the broadcasts of one subject (a
 * cache's invalidations) can be held back (as if lost in the network) until `release()`. Other
 * subjects (token revocations...) pass through untouched.
 */
export class GatedBus<S extends FanoutSubject> {
  paused = false;
  readonly held: { event: EventEnvelope<S>; deliver: () => Promise<void> }[] = [];
  readonly bus: EventBus;
  /** When the replica last received an invalidation naming each id, held back or not. */
  private readonly lastHeard = new Map<string, number>();

  /** `idsOf`: the ids (cache keys, user ids) an event of `subject` invalidates. */
  constructor(
    real: EventBus,
    private readonly subject: S,
    private readonly idsOf: (event: EventEnvelope<S>) => readonly string[],
  ) {
    this.bus = new Proxy(real, {
      get: (target, prop, receiver) => {
        if (prop === 'onBroadcast') return this.onBroadcast(target);
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  private onBroadcast(real: EventBus): EventBus['onBroadcast'] {
    const gate = (subject: FanoutSubject, handler: Handler<FanoutSubject>) => {
      if (subject !== this.subject) return real.onBroadcast(subject, handler);
      return real.onBroadcast(this.subject, async (event) => {
        const now = Date.now();
        for (const id of this.idsOf(event)) this.lastHeard.set(id, now);
        if (this.paused) this.held.push({ event, deliver: () => handler(event) });
        else await handler(event);
      });
    };
    return gate as EventBus['onBroadcast'];
  }

  /**
   * Resolves once the replica has received an invalidation of `id` sent after `since`, and then
   * none for longer than the writer's second round (1 s): a read that an invalidation crosses
   * keeps no copy, so a warm copy needs the quiet.
   */
  async quiet(id: string, since: number): Promise<void> {
    await eventually(
      async () => {
        const last = this.lastHeard.get(id) ?? 0;
        return last >= since && Date.now() - last > 1_500;
      },
      10_000,
      100,
    );
  }

  /** Stops holding back and delivers what was held, in order. */
  async release(): Promise<void> {
    this.paused = false;
    for (const { deliver } of this.held.splice(0)) await deliver();
  }
}

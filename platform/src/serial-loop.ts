import { AsyncResource } from 'node:async_hooks';

/**
 * A background job run in rounds, never two at once: one round at start, then one every
 * `intervalMs` after the previous round ended. `nudge()` asks for a round soon: at once when
 * idle, `againDelayMs` after the running one otherwise (what was committed during a round may
 * have been missed by it). `stop()` cancels the next round and waits for a running one.
 *
 * Every round runs in the async context `start()` was called in, whoever nudged: a timer runs in
 * the context it was set in, so a round set from a nudge would run in the nudging request's (its
 * AsyncLocalStorage values: trace, log bindings, MikroORM context), and every later round, set
 * from that one, too, keeping that request alive until the next nudge.
 */
export class SerialLoop {
  private timer?: NodeJS.Timeout;
  /** The context start() was called in, where every round's timer is set. */
  private home?: AsyncResource;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(
    private readonly options: {
      round: () => Promise<unknown>;
      intervalMs: number;
      /** A round that throws is reported here; the loop carries on. */
      onError: (err: unknown) => void;
      /** Delay of a round asked for while one was running. Default 20 ms. */
      againDelayMs?: number;
    },
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.home = new AsyncResource('SerialLoop');
    this.schedule(0);
  }

  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    const set = () => setTimeout(() => void this.tick(), delayMs);
    this.timer = this.home ? this.home.runInAsyncScope(set) : set();
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    this.again = false;
    // The round starts a microtask later, so a nudge from its first synchronous part sees it running.
    this.running = Promise.resolve()
      .then(() => this.options.round())
      .then(() => undefined, this.options.onError)
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
    if (!this.stopped) this.schedule(this.again ? (this.options.againDelayMs ?? 20) : this.options.intervalMs);
  }
}

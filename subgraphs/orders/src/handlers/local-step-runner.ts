import type { OrdersDeps } from '../deps.js';
import { runSagaLocalSteps } from '../usecases/run-saga-local-steps.js';

/**
 * Runs sagas' due local actions (payment, refund) in the background, a few at a time, so the
 * caller (a reply's handler, the sweeper, cancelOrder) does not wait for the payment provider.
 * Waiting there would hold up every later message of that consumer behind a slow provider: with
 * charges of a second, the 60th reply queued behind them would arrive after its step's timeout
 * and cancel an order the catalog had reserved in time.
 *
 * Nothing is lost when the process stops: every local action has a deadline, and the sweeper
 * (of this or another replica) runs what is still due.
 */
export class LocalStepRunner {
  private readonly waiting: string[] = [];
  /** Sagas waiting or running. */
  private readonly known = new Set<string>();
  /** Running sagas asked for again meanwhile (a new action became due while one ran). */
  private readonly again = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly deps: OrdersDeps,
    private readonly concurrency = 8,
  ) {}

  /** The saga's due local actions will run soon (at once when a slot is free). */
  start(sagaId: string): void {
    if (this.stopped) return;
    if (this.known.has(sagaId)) {
      if (!this.waiting.includes(sagaId)) this.again.add(sagaId);
      return;
    }
    this.known.add(sagaId);
    this.waiting.push(sagaId);
    this.pump();
  }

  /** Takes no more work and waits for the running actions (the waiting ones are left to the sweeper). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.length = 0;
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.waiting.length) {
      const sagaId = this.waiting.shift()!;
      const run: Promise<void> = runSagaLocalSteps(this.deps, sagaId)
        .catch((err) => this.deps.logger.warn({ err, sagaId }, 'saga local step failed; the sweeper will retry it'))
        .finally(() => {
          this.running.delete(run);
          this.known.delete(sagaId);
          if (this.again.delete(sagaId)) this.start(sagaId);
          this.pump();
        });
      this.running.add(run);
    }
  }
}

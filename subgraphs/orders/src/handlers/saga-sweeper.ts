import { SerialLoop } from '@app/platform';
import type { OrdersDeps } from '../deps.js';
import { purgeInbox, resumeAfterStart, sweepSagas } from '../usecases/sweep-sagas.js';

const PURGE_EVERY_MS = 60 * 60_000;

/**
 * Runs `sweepSagas` at start and then every SAGA_SWEEP_INTERVAL (one sweep at a time): this is
 * how a restarted service resumes what it left unfinished (steps past their deadline time out,
 * local actions run again, compensations are re-sent) and how steps time out at all.
 */
export class SagaSweeper {
  private lastPurge = 0;
  private resumed = false;
  private readonly loop: SerialLoop;

  constructor(private readonly deps: OrdersDeps) {
    this.loop = new SerialLoop({
      round: () => this.sweepOnce(),
      intervalMs: deps.config.SAGA_SWEEP_INTERVAL * 1000,
      onError: (err) => deps.logger.error({ err }, 'saga sweep failed'),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One sweep now (tests, and the timer). */
  async sweepOnce(): Promise<number> {
    if (!this.resumed) {
      // Steps that expired while no process ran get their time back first (see resumeAfterStart).
      const resumed = await resumeAfterStart(this.deps);
      this.resumed = true;
      if (resumed) this.deps.logger.info({ sagas: resumed }, 'waiting saga steps resumed after start');
    }
    const swept = await sweepSagas(this.deps);
    if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = Date.now();
      await purgeInbox(this.deps);
    }
    return swept;
  }
}

import { outsideRequests } from './outside-requests.js';

/** A connection that may wait for its server: whether it does now, since when, how long it may, and how it gives up. */
export interface AwaitingAnswer {
  /** Statements are out and not answered. */
  readonly waiting: boolean;
  /** `performance.now()` of the last answer, or of the first statement sent after none was out. */
  readonly waitingSince: number;
  readonly readTimeoutMs: number;
  giveUp(): void;
}

/** How often the waiting connections are looked at: a read timeout fires up to this much late. */
export const ANSWER_CHECK_MS = 500;

/**
 * The read timeouts of every connection of the process, on one timer that runs only while some
 * connection waits for an answer. pg's own `query_timeout` arms a timer and wraps the callback of
 * every statement; with it, at 100 orders/s ~3.6 MB of the subgraphs' young generation survived
 * each scavenge (statements, rows, their contexts: promoted to the old generation, dropped there)
 * and a scavenge took 12 ms on average; with this (and no no-op consumer spans, delivery.ts), ~1 MB
 * and 6 ms. A connection stays known from its first statement to its end (`forget`), so that
 * statements do not add to and delete from the set one by one. The timer is made outside requests
 * (outside-requests.ts), so that it does not keep the context of the request that started it.
 */
class AnswerWatch {
  private readonly connections = new Set<AwaitingAnswer>();
  private timer?: NodeJS.Timeout;

  /** `connection` has begun waiting. */
  watch(connection: AwaitingAnswer): void {
    this.connections.add(connection);
    this.timer ??= outsideRequests.runInAsyncScope(() => setInterval(() => this.check(), ANSWER_CHECK_MS).unref());
  }

  /** `connection` has ended. */
  forget(connection: AwaitingAnswer): void {
    this.connections.delete(connection);
  }

  private check(): void {
    const now = performance.now();
    let waiting = false;
    for (const connection of this.connections) {
      if (!connection.waiting) continue;
      if (now - connection.waitingSince < connection.readTimeoutMs) {
        waiting = true;
        continue;
      }
      this.connections.delete(connection);
      connection.giveUp();
    }
    if (waiting) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export const answerWatch = new AnswerWatch();

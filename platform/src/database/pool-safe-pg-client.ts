import pg from 'pg';
import { startQuerySpan } from '../tracing/db-spans.js';
import { endSpanWhenSettled } from '../tracing/settle-span.js';

/** BEGIN, START TRANSACTION, COMMIT and ROLLBACK (not ROLLBACK TO SAVEPOINT). */
const TRANSACTION_CONTROL = /^\s*(begin|start\s+transaction|commit|rollback)\b(?!\s+to\b)/i;

/**
 * pg's Client for the services' pools, which gives its connection back when a transaction
 * command fails.
 *
 * MikroORM runs transactions through Kysely, which releases a transaction's connection to the
 * pool only after its BEGIN and its COMMIT or ROLLBACK succeeded. When the database stops
 * answering (a hung server, a network partition: the commands time out) that never happens, and
 * every transaction caught by the outage keeps a pool slot for good: after a few outages the
 * service cannot reach its database at all, and its close() hangs. So when such a command fails,
 * this client hands itself back to the pool with the error, and the pool closes it (Postgres
 * rolls back whatever the session had open), before the error goes on to the caller as usual.
 * With tracing on it also reports each statement as a span of the trace it runs in.
 */
export class PoolSafeClient extends pg.Client {
  private discarded = false;

  // pg's query has many overloads; Kysely uses query(text, values) with a promise.
  // biome-ignore lint/suspicious/noExplicitAny: pg's query overloads return a promise, a Submittable or void; the override returns what pg returns
  override query(...args: unknown[]): any {
    // Every statement of the services goes through here: the one place for their database spans.
    const span = startQuerySpan(args[0], this);
    let result = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    if (span) result = endSpanWhenSettled(span, result);
    if (typeof args[0] !== 'string' || !(result instanceof Promise) || !TRANSACTION_CONTROL.test(args[0])) return result;
    return result.catch((err: unknown) => {
      this.discard(err);
      throw err;
    });
  }

  private discard(err: unknown) {
    if (this.discarded) return;
    this.discarded = true;
    // Set by pg-pool on checkout; with an error it removes and closes the client.
    const release = (this as unknown as { release?: (err?: unknown) => void }).release;
    if (typeof release === 'function') release(err instanceof Error ? err : new Error(String(err)));
    else void this.end().catch(() => {});
  }
}

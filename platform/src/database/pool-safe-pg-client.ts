import pg from 'pg';
import { startQuerySpan } from '../tracing/db-spans.js';
import { endSpanWhenSettled } from '../tracing/settle-span.js';

/** BEGIN, START TRANSACTION, COMMIT and ROLLBACK (not ROLLBACK TO SAVEPOINT). */
const TRANSACTION_CONTROL = /^\s*(begin|start\s+transaction|commit|rollback)\b(?!\s+to\b)/i;
/** A transaction's opening command alone (`begin`, or `start transaction` with its settings). */
const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b[^;]*;?\s*$/i;
/** A transaction's closing command alone. */
const TRANSACTION_END = /^\s*(commit|rollback)\s*;?\s*$/i;

/** What pg answers for a command that returns no rows. */
const commandResult = (command: string) => ({ command, rowCount: null, oid: null, rows: [], fields: [] });

/**
 * pg's Client for the services' pools, which gives its connection back when a transaction
 * command fails, and sends a transaction's BEGIN with its first statement.
 *
 * MikroORM runs transactions through Kysely, which releases a transaction's connection to the
 * pool only after its BEGIN and its COMMIT or ROLLBACK succeeded. When the database stops
 * answering (a hung server, a network partition: the commands time out) that never happens, and
 * every transaction caught by the outage keeps a pool slot for good: after a few outages the
 * service cannot reach its database at all, and its close() hangs. So when such a command fails,
 * this client hands itself back to the pool with the error, and the pool closes it (Postgres
 * rolls back whatever the session had open), before the error goes on to the caller as usual.
 *
 * A BEGIN on its own is a round trip that carries nothing: both processes write to a socket and
 * wake the other up, which on a small machine costs about as much as a statement. So the client
 * holds it back (answering at once, as the server would) and sends it in front of the
 * transaction's first statement, as one simple query (`begin; <statement>`, whose answer is the
 * statement's). A statement with parameters (the extended protocol allows one statement per
 * message) gets the BEGIN sent just before it, as before; a transaction that ends before any
 * statement sends nothing. Errors are unchanged: a BEGIN cannot fail on its own, and a failed
 * first statement leaves the transaction aborted, to be rolled back as usual.
 *
 * With tracing on it also reports each statement as a span of the trace it runs in.
 */
export class PoolSafeClient extends pg.Client {
  private discarded = false;
  /** The BEGIN (or START TRANSACTION) held back for the next statement. */
  private heldBegin: string | null = null;

  // pg's query has many overloads; Kysely uses query(text, values) with a promise.
  // biome-ignore lint/suspicious/noExplicitAny: pg's query overloads return a promise, a Submittable or void; the override returns what pg returns
  override query(...args: unknown[]): any {
    const [text, values] = args;
    const plain = typeof text === 'string' && args.length <= 2 && (values === undefined || (Array.isArray(values) && values.length === 0));
    if (plain && TRANSACTION_START.test(text) && this.heldBegin === null) {
      this.heldBegin = text.trim().replace(/;$/, '');
      return Promise.resolve(commandResult('BEGIN'));
    }
    if (this.heldBegin !== null) {
      const begin = this.heldBegin;
      this.heldBegin = null;
      // Nothing ran: there is nothing to commit or roll back.
      if (plain && TRANSACTION_END.test(text)) return Promise.resolve(commandResult(text.trim().replace(/;$/, '').toUpperCase()));
      if (plain) return this.send(text, `${begin};\n${text}`).then((results: pg.QueryResult | pg.QueryResult[]) => lastOf(results));
      // Queued ahead of the statement; a failure (the connection lost) fails the statement too.
      this.send(begin, begin).catch(() => {});
    }
    return this.send(args[0], ...args);
  }

  /** pg's query, with its span (`spanText`: the statement as the caller wrote it) and the discard on a failed transaction command. */
  // biome-ignore lint/suspicious/noExplicitAny: as query
  private send(spanText: unknown, ...args: unknown[]): any {
    // Every statement of the services goes through here: the one place for their database spans.
    const span = startQuerySpan(spanText, this);
    let result = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    if (span) result = endSpanWhenSettled(span, result);
    // Not for `begin; <statement>`: a failed statement is the caller's to roll back, the connection is fine.
    if (typeof spanText !== 'string' || !(result instanceof Promise) || !TRANSACTION_CONTROL.test(spanText)) return result;
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

/** The answer of `begin; <statement>`: the statement's (several results when the statement text held several). */
function lastOf(results: pg.QueryResult | pg.QueryResult[]) {
  if (!Array.isArray(results)) return results;
  return results.length === 2 ? results[1] : results.slice(1);
}

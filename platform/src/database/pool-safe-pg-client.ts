import pg from 'pg';
import { startQuerySpan } from '../tracing/db-spans.js';
import { endSpanWhenSettled } from '../tracing/settle-span.js';
import { type AwaitingAnswer, answerWatch } from './answer-watch.js';
import { outsideRequests } from './outside-requests.js';
import { PreparedQuery } from './prepared-query.js';

/** BEGIN, START TRANSACTION, COMMIT and ROLLBACK (not ROLLBACK TO SAVEPOINT). */
const TRANSACTION_CONTROL = /^\s*(begin|start\s+transaction|commit|rollback)\b(?!\s+to\b)/i;
/** A transaction's opening command alone (`begin`, or `start transaction` with its settings). */
const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b[^;]*;?\s*$/i;
/** A transaction's closing command alone. */
const TRANSACTION_END = /^\s*(commit|rollback)\s*;?\s*$/i;

/** What pg answers for a command that returns no rows. */
const commandResult = (command: string) => ({ command, rowCount: null, oid: null, rows: [], fields: [] });
const commandOf = (text: string) => text.trim().replace(/;$/, '').toUpperCase();

/**
 * Marks a statement as the last of its transaction (`${LAST_STATEMENT} update ...`): the client
 * sends it with the COMMIT, in one round trip, and answers the COMMIT that follows itself. For a
 * caller that knows nothing else runs in the transaction after it (the saga's one-statement
 * write-back); anything but that COMMIT afterwards is refused, loudly. Outside a transaction, or
 * on another driver, it is an ordinary comment.
 */
export const LAST_STATEMENT = '/* last statement */';

/**
 * Marks a statement with parameters to be run as a named prepared statement (`executePrepared`
 * puts it there): its text must not vary with its values, so that each connection parses it once.
 */
export const PREPARED = '/* prepared */ ';
/** Prepared statements a connection keeps at most; statements beyond run unnamed (parsed each time). */
const MAX_PREPARED_PER_CONNECTION = 200;
/** Numbers this process's clients: statement names are unique per client, also on a session shared by several (PGlite's socket). */
let clientCount = 0;

/**
 * pg's Client for the services' pools, which gives its connection back when a transaction
 * command fails, and saves a transaction's round trips for BEGIN and COMMIT.
 *
 * MikroORM runs transactions through Kysely, which releases a transaction's connection to the
 * pool only after its BEGIN and its COMMIT or ROLLBACK succeeded. When the database stops
 * answering (a hung server, a network partition: the commands time out) that never happens, and
 * every transaction caught by the outage keeps a pool slot for good: after a few outages the
 * service cannot reach its database at all, and its close() hangs. So when such a command fails,
 * this client hands itself back to the pool with the error, and the pool closes it (Postgres
 * rolls back whatever the session had open), before the error goes on to the caller as usual.
 *
 * A BEGIN or COMMIT on its own is a round trip that carries nothing: both processes write to a
 * socket and wake the other up, which on a small machine costs about as much as a statement. So
 * the client holds a BEGIN back (answering at once, as the server would) and sends it in front of
 * the transaction's first statement, as one simple query (`begin; <statement>`, whose answer is
 * the statement's); a statement with parameters (the extended protocol allows one statement per
 * message) gets the BEGIN sent just before it, as before; a transaction that ends before any
 * statement sends nothing. A statement marked LAST_STATEMENT goes out with the COMMIT. A statement
 * marked PREPARED (`executePrepared`) runs as a named prepared statement, parsed once per
 * connection, and carries the held BEGIN and the COMMIT likewise (`PreparedQuery`). Errors are
 * unchanged: a BEGIN cannot fail on its own, and a failed statement leaves the transaction
 * aborted, to be rolled back as usual.
 *
 * With `readTimeoutMillis` it gives the connection up (destroys its socket: every statement out
 * fails with `Query read timeout`, and the pool drops it) when the server has not answered for
 * that long while statements were out: a server that stopped answering. It counts the statements
 * whose result is a promise (Kysely runs every statement so). pg's `query_timeout` does the same
 * per statement, at the price of a timer and closures each (see answer-watch.ts).
 *
 * With tracing on it also reports each statement as a span of the trace it runs in.
 */
export class PoolSafeClient extends pg.Client implements AwaitingAnswer {
  private discarded = false;
  /** The BEGIN (or START TRANSACTION) held back for the next statement. */
  private heldBegin: string | null = null;
  /** A transaction was begun (its BEGIN held or sent) and has not ended. */
  private inTransaction = false;
  /** The transaction was committed with its last statement: the COMMIT that follows is answered here. */
  private committedWithLast = false;
  /** Statement text -> its prepared statement's name on this connection. */
  private readonly statementNames = new Map<string, string>();
  private readonly clientNumber = ++clientCount;
  /** How long statements may wait for the server's answer (`readTimeoutMillis`); 0: for ever. */
  readonly readTimeoutMs: number;
  /** Statements sent and not answered yet. */
  private unanswered = 0;
  waitingSince = 0;

  constructor(config?: pg.ClientConfig & { readTimeoutMillis?: number }) {
    super(config);
    this.readTimeoutMs = config?.readTimeoutMillis ?? 0;
    if (this.readTimeoutMs > 0) this.once('end', () => answerWatch.forget(this));
  }

  get waiting(): boolean {
    return this.unanswered > 0;
  }

  /**
   * Connects outside the caller's async context: the pool opens a connection for whichever
   * request needs one first, often inside its transaction, and the socket would keep that
   * context (and its EntityManager) for the connection's life and run its callbacks in it.
   */
  override connect(): Promise<void>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<void> | void {
    return outsideRequests.runInAsyncScope(() => (callback ? super.connect(callback) : super.connect()));
  }

  // pg's query has many overloads; Kysely uses query(text, values) with a promise.
  // biome-ignore lint/suspicious/noExplicitAny: pg's query overloads return a promise, a Submittable or void; the override returns what pg returns
  override query(...args: unknown[]): any {
    const [text, values] = args;
    const plain = typeof text === 'string' && args.length <= 2 && (values === undefined || (Array.isArray(values) && values.length === 0));
    if (this.committedWithLast) return this.afterCommittedWithLast(plain ? (text as string) : null);
    if (plain) return this.plainQuery(text as string);
    if (typeof text === 'string' && text.startsWith(PREPARED) && Array.isArray(values) && args.length === 2)
      return this.preparedQuery(text.slice(PREPARED.length), values);
    this.sendHeldBegin();
    return this.send(text, typeof text === 'string' && TRANSACTION_CONTROL.test(text), ...args);
  }

  /** Sends the held BEGIN (if any) on its own, queued ahead of the statement that follows. */
  private sendHeldBegin(): void {
    if (this.heldBegin === null) return;
    // A failure (the connection lost) fails the statement after it too.
    this.send(this.heldBegin, true, this.heldBegin).catch(() => {});
    this.heldBegin = null;
  }

  /** A statement without parameters: BEGIN held, sent with the first statement; a LAST_STATEMENT sent with the COMMIT. */
  private plainQuery(text: string): Promise<unknown> {
    if (TRANSACTION_START.test(text) && !this.inTransaction) {
      this.heldBegin = text.trim().replace(/;$/, '');
      this.inTransaction = true;
      return Promise.resolve(commandResult('BEGIN'));
    }
    if (TRANSACTION_END.test(text)) {
      this.inTransaction = false;
      const held = this.heldBegin !== null;
      this.heldBegin = null;
      // Nothing ran: there is nothing to commit or roll back.
      return held ? Promise.resolve(commandResult(commandOf(text))) : this.send(text, true, text);
    }
    const begin = this.heldBegin;
    this.heldBegin = null;
    const last = this.inTransaction && text.startsWith(LAST_STATEMENT);
    if (begin === null && !last) return this.send(text, TRANSACTION_CONTROL.test(text), text);
    const sent = [...(begin === null ? [] : [begin]), text, ...(last ? ['commit'] : [])].join(';\n');
    return this.send(text, last, sent).then((results: pg.QueryResult | pg.QueryResult[]) => {
      if (last) this.committedWithLast = true;
      return statementResult(results, begin !== null, last);
    });
  }

  /**
   * A statement with parameters as a named prepared statement, with the held BEGIN (once the
   * statement is parsed on this connection) and, marked LAST_STATEMENT, the COMMIT in the same
   * round trip.
   */
  private preparedQuery(text: string, values: unknown[]): Promise<unknown> {
    const name = this.statementName(text);
    const parsedStatements = (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements;
    if (name === undefined || parsedStatements[name] === undefined) this.sendHeldBegin();
    const begin = this.heldBegin;
    this.heldBegin = null;
    const last = this.inTransaction && text.startsWith(LAST_STATEMENT);
    const run = () =>
      new Promise<pg.QueryResult>((resolve, reject) => {
        const query = new PreparedQuery(
          { text, values, name, callback: (err, result) => (err ? reject(err) : resolve(result)) },
          begin,
          last,
        );
        (pg.Client.prototype.query as (q: unknown) => unknown).call(this, query);
      });
    const result: Promise<pg.QueryResult> = this.settle(text, last, begin !== null || last, run);
    if (!last) return result;
    return result.then((committed) => {
      this.committedWithLast = true;
      return committed;
    });
  }

  /** The name of `text`'s prepared statement on this connection; undefined (unnamed) past MAX_PREPARED_PER_CONNECTION. */
  private statementName(text: string): string | undefined {
    let name = this.statementNames.get(text);
    if (name === undefined && this.statementNames.size < MAX_PREPARED_PER_CONNECTION) {
      name = `ps${this.clientNumber}_${this.statementNames.size + 1}`;
      this.statementNames.set(text, name);
    }
    return name;
  }

  /** The transaction was committed with its last statement: only its COMMIT may follow (answered here). */
  private afterCommittedWithLast(text: string | null): Promise<unknown> {
    this.committedWithLast = false;
    this.inTransaction = false;
    if (text !== null && /^\s*commit\s*;?\s*$/i.test(text)) return Promise.resolve(commandResult('COMMIT'));
    return Promise.reject(
      new Error(`a statement after the transaction was committed with its LAST_STATEMENT: ${String(text).slice(0, 60)}`),
    );
  }

  /**
   * pg's query, with its span (`spanText`: the statement as the caller wrote it) and, for a
   * transaction command (`control`), the discard on a failure.
   */
  // biome-ignore lint/suspicious/noExplicitAny: as query
  private send(spanText: unknown, control: boolean, ...args: unknown[]): any {
    return this.settle(spanText, control, spanText !== args[0], () => this.pgQuery(args));
  }

  /**
   * pg's query. A statement text asked for as a promise (`query(text[, values])`, Kysely's every
   * statement) is sent with a callback and the promise is ours: pg's own promise path builds the
   * statement's Query without its callback and sets one on it afterwards, and such a Query (its
   * rows, and the caller's awaiting code) outlived every young-generation collection until a full
   * one: in loops of selects, 19-28% of the young generation survived each scavenge against
   * 0.1-1.5% with the callback given at once (bench/young-survival.ts). The error keeps pg's stack
   * through the caller. Anything else (a config object, which pg would give our callback to, a
   * Submittable, a callback) goes to pg as it came.
   */
  private pgQuery(args: unknown[]): unknown {
    const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
    const [text, values] = args;
    if (typeof text !== 'string' || args.length > 2 || (values !== undefined && !Array.isArray(values))) return query.apply(this, args);
    return new Promise((resolve, reject) => {
      query.call(this, text, values, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result)));
    }).catch((err: Error) => {
      // As pg does: a stack that leads back to the caller, not to the socket's read.
      Error.captureStackTrace(err);
      throw err;
    });
  }

  /**
   * Every statement of the services goes through here: the one place for their database spans.
   * A failed transaction command (`control`) discards the connection, except a statement that
   * carried one (`merged`) and that the server refused: it leaves the connection as it was (to roll back).
   */
  // biome-ignore lint/suspicious/noExplicitAny: as query
  private settle(spanText: unknown, control: boolean, merged: boolean, run: () => unknown): any {
    const span = startQuerySpan(spanText, this);
    let result = run();
    if (this.readTimeoutMs > 0 && result instanceof Promise) this.awaitAnswer(result);
    if (span) result = endSpanWhenSettled(span, result);
    if (!control || !(result instanceof Promise)) return result;
    return result.catch((err: unknown) => {
      if (!(merged && (err as { code?: unknown }).code)) this.discard(err);
      throw err;
    });
  }

  private awaitAnswer(statement: Promise<unknown>): void {
    if (this.unanswered++ === 0) {
      this.waitingSince = performance.now();
      answerWatch.watch(this);
    }
    statement.then(this.answered, this.answered);
  }

  private readonly answered = () => {
    if (--this.unanswered > 0) this.waitingSince = performance.now();
  };

  /** The server has not answered for readTimeoutMs: the socket goes, and with it every statement out (pg fails them with this error). */
  giveUp(): void {
    const { stream } = (this as unknown as { connection: { stream: { destroy(err: Error): void } } }).connection;
    stream.destroy(new Error(`Query read timeout: the database did not answer for ${this.readTimeoutMs} ms`));
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

/** The statement's answer among those of `[begin;] <statement>[; commit]` (several when the statement text held several). */
function statementResult(results: pg.QueryResult | pg.QueryResult[], withBegin: boolean, withCommit: boolean) {
  if (!Array.isArray(results)) return results;
  const own = results.slice(withBegin ? 1 : 0, withCommit ? -1 : undefined);
  return own.length === 1 ? own[0] : own;
}

import pg from 'pg';

/** What of pg's Connection a query writes with (pg's own protocol messages). */
interface ProtocolWriter {
  parse(query: { text: string; name?: string }): void;
  bind(config: Record<string, never>): void;
  execute(config: { portal?: string; rows?: number }): void;
  sync(): void;
}

/** pg's Query as this file extends it: the parts of its extended-protocol path it overrides. */
interface ExtendedQuery {
  prepare(connection: ProtocolWriter): void;
  _getRows(connection: ProtocolWriter, rows?: number): void;
  handleCommandComplete(message: unknown, connection: ProtocolWriter): void;
  portal: string;
}
const QueryBase = pg.Query as unknown as new (
  config: pg.QueryConfig & { callback: (err: Error | null, result: pg.QueryResult) => void },
) => ExtendedQuery;

/**
 * pg's query of a named prepared statement (parsed once per connection, then only bound and
 * executed: Postgres skips the parse and, once it settles on a generic plan, the planning), which
 * can carry its transaction's BEGIN before it and its COMMIT after it in the same batch: one write
 * and one Sync, so one round trip for all three, as `begin; <statement>; commit` is in the simple
 * protocol. Only the statement's answer reaches the caller. An error skips the rest of the batch
 * (Postgres discards messages up to the Sync), so a failed statement leaves its transaction open
 * and aborted, to be rolled back as usual.
 *
 * The BEGIN is carried only for a statement already parsed on the connection: a Parse that fails
 * after the BEGIN's had succeeded would leave pg believing the statement parsed.
 */
export class PreparedQuery extends QueryBase {
  /** The BEGIN's CommandComplete is still to come (not the statement's). */
  private beginPending: boolean;
  private statementComplete = false;

  constructor(
    config: pg.QueryConfig & { callback: (err: Error | null, result: pg.QueryResult) => void },
    private readonly begin: string | null,
    private readonly commit: boolean,
  ) {
    super(config);
    this.beginPending = begin !== null;
  }

  override prepare(connection: ProtocolWriter): void {
    if (this.begin !== null) {
      connection.parse({ text: this.begin });
      connection.bind({});
      connection.execute({});
    }
    super.prepare(connection);
  }

  // pg's _getRows sends Execute then Sync; the COMMIT goes between them.
  override _getRows(connection: ProtocolWriter, rows?: number): void {
    connection.execute({ portal: this.portal, rows });
    if (this.commit) {
      connection.parse({ text: 'commit' });
      connection.bind({});
      connection.execute({});
    }
    connection.sync();
  }

  override handleCommandComplete(message: unknown, connection: ProtocolWriter): void {
    if (this.beginPending) {
      this.beginPending = false;
      return;
    }
    // After the statement's, only the COMMIT's comes.
    if (this.statementComplete) return;
    this.statementComplete = true;
    super.handleCommandComplete(message, connection);
  }
}

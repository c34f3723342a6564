import { eventSchemas, isDurableSubject, type PayloadOf, type Subject } from '@app/events';
import type { EntityManager } from '@mikro-orm/postgresql';
import { serializeTraceContext } from '../tracing/trace-context.js';
import { type OutboxMessage, outboxEntity, outboxTable } from './outbox-message.js';

export interface WriteOutboxOptions {
  /**
   * The publish (dedupe) id, as `bus.publish` takes it: a use case that may write the same
   * message twice (a redelivered event, a retried request) gives one, so JetStream keeps one
   * copy. Default: the row's own id. Ignored for fan-out subjects (broadcasts have no dedupe).
   */
  msgId?: string;
  /** The row's `createdAt`. Default: now. */
  now?: Date;
}

/**
 * An outbox row not yet written: the message, validated, with its id, kind and the active trace.
 * `writeOutbox` writes one through the unit of work; a use case that writes its rows with plain
 * SQL builds them with `outboxRecord` and inserts them with `outboxInsert`.
 */
export interface OutboxRecord {
  id: string;
  msgId: string | null;
  subject: string;
  kind: 'durable' | 'fanout';
  payload: Record<string, unknown>;
  createdAt: Date;
  traceContext: string | null;
}

/**
 * The outbox row of a message: the payload is validated here (the same schema the bus checks when
 * publishing), so a bad message fails the transaction that writes it instead of blocking the
 * relay later, and the active trace goes with it, so the relayed publish joins the request's trace.
 */
export function outboxRecord<S extends Subject>(subject: S, payload: PayloadOf<S>, options: WriteOutboxOptions = {}): OutboxRecord {
  const data = eventSchemas[subject].parse(payload) as Record<string, unknown>;
  const durable = isDurableSubject(subject);
  return {
    id: crypto.randomUUID(),
    msgId: durable ? (options.msgId ?? null) : null,
    subject,
    kind: durable ? 'durable' : 'fanout',
    payload: data,
    createdAt: options.now ?? new Date(),
    traceContext: serializeTraceContext(),
  };
}

/**
 * Adds a message to the service's outbox inside the caller's transaction (or unit of work: the
 * row is persisted with the caller's next flush, so the change and its message commit together).
 * See `outboxRecord` for what is checked and carried. After the commit, nudge the relay
 * (`OutboxRelay.nudge`) so it publishes at once instead of at its next poll.
 */
export function writeOutbox<S extends Subject>(
  tx: EntityManager,
  subject: S,
  payload: PayloadOf<S>,
  options: WriteOutboxOptions = {},
): OutboxMessage {
  return writeOutboxRecord(tx, outboxRecord(subject, payload, options));
}

/** Adds a row built by `outboxRecord` to the service's outbox through the caller's unit of work (as `writeOutbox`). */
export function writeOutboxRecord(tx: EntityManager, record: OutboxRecord): OutboxMessage {
  return tx.create(outboxEntity(tx), { ...record, sentAt: null, attempts: 0, lastError: null });
}

const OUTBOX_COLUMNS = '(id, msg_id, subject, kind, payload, created_at, sent_at, attempts, last_error, trace_context)';
const OUTBOX_ROW = '(?, ?, ?, ?, ?::jsonb, ?, null, 0, null, ?)';
/** The same row with every column typed: a VALUES list in a FROM types its columns itself, where INSERT ... VALUES takes the table's. */
const OUTBOX_TYPED_ROW =
  '(?::uuid, ?::varchar, ?::varchar, ?::varchar, ?::jsonb, ?::timestamptz, null::timestamptz, 0, null::text, ?::text)';

/**
 * The insert of `records` into the service's outbox as one SQL statement and its parameters (`?`
 * placeholders, as `em.execute` takes them), for a use case that composes it with its own writes
 * (a data-modifying `with ... insert`). Null when there is nothing to insert. `onlyIf`: a SQL
 * condition (no parameters) the rows are inserted under, for a statement whose other writes are
 * gated the same way (none of them when it is false).
 */
export function outboxInsert(
  em: EntityManager,
  records: readonly OutboxRecord[],
  options: { onlyIf?: string } = {},
): { sql: string; params: unknown[] } | null {
  if (!records.length) return null;
  const table = outboxTable(em);
  const params = records.flatMap((r) => [r.id, r.msgId, r.subject, r.kind, JSON.stringify(r.payload), r.createdAt, r.traceContext]);
  if (options.onlyIf === undefined)
    return { sql: `insert into ${table} ${OUTBOX_COLUMNS} values ${records.map(() => OUTBOX_ROW).join(', ')}`, params };
  const rows = records.map(() => OUTBOX_TYPED_ROW).join(', ');
  return { sql: `insert into ${table} ${OUTBOX_COLUMNS} select * from (values ${rows}) gated where ${options.onlyIf}`, params };
}

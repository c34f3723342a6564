import { eventSchemas, type FanoutSubject, isDurableSubject, type PayloadOf, type Subject } from '@app/events';
import type { EntityManager } from '@mikro-orm/postgresql';
import { serializeTraceContext } from '../tracing/trace-context.js';
import { type OutboxMessage, outboxEntity, outboxTable } from './outbox-message.js';
import type { OutboxFollower } from './publish-outbox-message.js';

export interface WriteOutboxOptions {
  /**
   * The publish (dedupe) id, as `bus.publish` takes it: a use case that may write the same
   * message twice (a redelivered event, a retried request) gives one, so JetStream keeps one
   * copy. Default: the row's own id. Ignored for fan-out subjects (broadcasts have no dedupe).
   */
  msgId?: string;
  /** The row's `createdAt`. Default: now. */
  now?: Date;
  /**
   * A broadcast to send right after the message, from the same row (see `OutboxBroadcast`); for a
   * durable message only.
   */
  broadcast?: OutboxBroadcast;
}

/**
 * The live copy of a durable message: a fan-out subject and its payload (absent: the message's
 * own payload, which must then be valid for that subject too). It is published right after the
 * message whenever the row is (by the committed publisher or the relay, a re-send included), so a
 * transition announced both ways costs one outbox row, not two.
 */
export type OutboxBroadcast = { [S in FanoutSubject]: { subject: S; payload?: PayloadOf<S> } }[FanoutSubject];

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
  /** The broadcast published right after the message (`WriteOutboxOptions.broadcast`); null: none. */
  broadcastSubject: string | null;
  /** Its payload; null: `payload`. */
  broadcastPayload: Record<string, unknown> | null;
  /** Further messages published after this one from the same row (`groupOutboxRecords`); null: none. */
  followers: OutboxFollower[] | null;
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
  const { broadcast } = options;
  if (broadcast && !durable) throw new Error(`a broadcast rides with a durable message, not with ${subject}`);
  // Validated as the bus will publish it (its own payload, or the message's); stored only when it is its own.
  const livePayload = broadcast ? (eventSchemas[broadcast.subject].parse(broadcast.payload ?? data) as Record<string, unknown>) : null;
  return {
    id: crypto.randomUUID(),
    msgId: durable ? (options.msgId ?? null) : null,
    subject,
    kind: durable ? 'durable' : 'fanout',
    payload: data,
    broadcastSubject: broadcast?.subject ?? null,
    broadcastPayload: broadcast?.payload === undefined ? null : livePayload,
    followers: null,
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

const OUTBOX_COLUMNS =
  '(id, msg_id, subject, kind, payload, broadcast_subject, broadcast_payload, followers, created_at, sent_at, attempts, last_error, trace_context)';
const OUTBOX_ROW = '(?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?::jsonb, ?, null, 0, null, ?)';
/** The same row with every column typed: a VALUES list in a FROM types its columns itself, where INSERT ... VALUES takes the table's. */
const OUTBOX_TYPED_ROW =
  '(?::uuid, ?::varchar, ?::varchar, ?::varchar, ?::jsonb, ?::varchar, ?::jsonb, ?::jsonb, ?::timestamptz, null::timestamptz, 0, null::text, ?::text)';

/**
 * A record's values in column order, as parameters: id, msg_id, subject, kind, payload (jsonb
 * text), broadcast_subject, broadcast_payload, followers (jsonb text or null), created_at, trace_context.
 */
export const outboxRowParams = (r: OutboxRecord): unknown[] => [
  r.id,
  r.msgId,
  r.subject,
  r.kind,
  JSON.stringify(r.payload),
  r.broadcastSubject,
  r.broadcastPayload === null ? null : JSON.stringify(r.broadcastPayload),
  r.followers === null ? null : JSON.stringify(r.followers),
  r.createdAt,
  r.traceContext,
];

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
  const params = records.flatMap(outboxRowParams);
  if (options.onlyIf === undefined)
    return { sql: `insert into ${table} ${OUTBOX_COLUMNS} values ${records.map(() => OUTBOX_ROW).join(', ')}`, params };
  const rows = records.map(() => OUTBOX_TYPED_ROW).join(', ');
  return { sql: `insert into ${table} ${OUTBOX_COLUMNS} select * from (values ${rows}) gated where ${options.onlyIf}`, params };
}

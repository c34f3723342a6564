/**
 * The messages of an outbox table (`table`, schema-qualified), one per SQL row, as a subquery to
 * select from (`select ... from ${outboxMessagesQuery('orders.outbox')} m`): each row's own
 * message (`position` 0), then its followers in order (`groupOutboxRecords`), each with its row's
 * `seq`, `created_at` and `sent_at`. Columns: seq, position, id (text), msg_id, subject, kind,
 * payload, broadcast_subject, broadcast_payload, created_at, sent_at. For reading an outbox message
 * by message (tests, the saga trace, an operator); the services never read it back this way.
 */
export const outboxMessagesQuery = (table: string): string => `(
  select o.seq, 0 as position, o.id::text as id, o.msg_id, o.subject, o.kind, o.payload, o.broadcast_subject,
    o.broadcast_payload, o.created_at, o.sent_at
  from ${table} o
  union all
  select o.seq, f.position::int, f.message->>'id', f.message->>'msgId', f.message->>'subject', f.message->>'kind',
    f.message->'payload', f.message->>'broadcastSubject', f.message->'broadcastPayload', o.created_at, o.sent_at
  from ${table} o cross join lateral jsonb_array_elements(o.followers) with ordinality as f(message, position)
)`;

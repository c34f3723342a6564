/**
 * The messages of an outbox table, one per SQL row, as a subquery (`from ${outboxMessages(t)} m`):
 * each row's own message (position 0), then its followers in order (a saga transition's
 * commands and events share one row). Columns: seq, position, sent_at, id (text), subject, kind,
 * msg_id, payload. The same query an operator runs (README, the outbox).
 */
export const outboxMessages = (table: string) => `(
  select o.seq, 0 as position, o.sent_at, o.id::text as id, o.subject, o.kind, o.msg_id, o.payload from ${table} o
  union all
  select o.seq, f.position::int, o.sent_at, f.message->>'id', f.message->>'subject', f.message->>'kind', f.message->>'msgId', f.message->'payload'
  from ${table} o cross join lateral jsonb_array_elements(o.followers) with ordinality as f(message, position)
)`;

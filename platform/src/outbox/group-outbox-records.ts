import type { OutboxRecord } from './outbox-writer.js';
import type { OutboxFollower } from './publish-outbox-message.js';

/**
 * The messages of one commit as ONE outbox row: the first record, with the others as its
 * `followers`, published after it in order, each with its own message id and broadcast. A row is
 * a row's worth of work for the database whatever it carries (its insert, its mark as sent, its
 * index entries), so a saga transition that writes its commands and the order's events (four
 * messages when the payment and the confirmation commit with the reservation's reply) writes one.
 * The row is sent or not as a whole: a failed publish sends every message of it again (durable
 * copies are dropped as duplicates by their message ids). The records' ids stay their messages'
 * (the envelope ids of durable messages without a `msgId`); the row's is the first's.
 */
export function groupOutboxRecords(records: readonly OutboxRecord[]): OutboxRecord[] {
  if (records.length < 2) return [...records];
  if (records.some((r) => r.followers !== null)) throw new Error('outbox records grouped twice');
  const [first, ...rest] = records;
  // A follower is a message without the row's own fields (its time, its trace, its followers).
  const followers = rest.map(({ createdAt, traceContext, followers, ...message }): OutboxFollower => message);
  return [{ ...first, followers }];
}

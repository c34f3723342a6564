import type { InventoryReplyPayload, InventoryReplySubject } from '@app/events';
import { type OutboxRecord, outboxRecord } from '@app/platform';
import type { StockChange } from '../entities/index.js';
import { stockChangeRecords } from './announce.js';

export interface InventoryReply<S extends InventoryReplySubject = InventoryReplySubject> {
  subject: S;
  data: InventoryReplyPayload<S>;
}

/** What handling one inventory command produced: the reply to the saga (if any) and the stock levels it changed. */
export interface InventoryOutcome {
  reply: InventoryReply | null;
  stockChanges: StockChange[];
  /**
   * The announcements (stock changes, then the reply), when the step already wrote them to the
   * outbox and recorded the outcome on the command's inbox row (a reservation does, in the
   * statement that takes the stock). Absent: the handler writes them.
   */
  written?: OutboxRecord[];
}

export const reply = <S extends InventoryReplySubject>(subject: S, data: InventoryReplyPayload<S>): InventoryReply =>
  ({ subject, data }) as InventoryReply;

/**
 * The outbox rows announcing what handling the command with id `messageId` produced:
 * `catalog.stock.changed` per stock change (`live.stock.updated` riding on its row), then the
 * reply, with message ids derived from the command's (`<id>:stock:<product id>`, `<id>:reply`): a
 * redelivery's copy is dropped by JetStream's dedupe window.
 */
export function announcements(messageId: string, outcome: Pick<InventoryOutcome, 'reply' | 'stockChanges'>): OutboxRecord[] {
  return [
    ...stockChangeRecords(outcome.stockChanges, { msgId: (c) => `${messageId}:stock:${c.productId}`, live: true }),
    ...(outcome.reply ? [outboxRecord(outcome.reply.subject, outcome.reply.data as never, { msgId: `${messageId}:reply` })] : []),
  ];
}

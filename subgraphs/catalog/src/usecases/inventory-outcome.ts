import type { InventoryReplyPayload, InventoryReplySubject } from '@app/events';
import type { StockChange } from '../entities/index.js';

export interface InventoryReply<S extends InventoryReplySubject = InventoryReplySubject> {
  subject: S;
  data: InventoryReplyPayload<S>;
}

/** What handling one inventory command produced: the reply to the saga (if any) and the stock levels it changed. */
export interface InventoryOutcome {
  reply: InventoryReply | null;
  stockChanges: StockChange[];
}

export const reply = <S extends InventoryReplySubject>(subject: S, data: InventoryReplyPayload<S>): InventoryReply =>
  ({ subject, data }) as InventoryReply;

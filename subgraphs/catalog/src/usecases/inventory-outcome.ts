import type { PayloadOf } from '@app/events';
import type { StockChange } from '../entities/index.js';

export type InventoryReplySubject = 'catalog.inventory.reserved' | 'catalog.inventory.reservation_failed' | 'catalog.inventory.released' | 'catalog.inventory.committed';

export interface InventoryReply<S extends InventoryReplySubject = InventoryReplySubject> {
  subject: S;
  data: PayloadOf<S>;
}

/** What handling one inventory command produced: the reply to the saga (if any) and the stock levels it changed. */
export interface InventoryOutcome {
  reply: InventoryReply | null;
  stockChanges: StockChange[];
}

export const reply = <S extends InventoryReplySubject>(subject: S, data: PayloadOf<S>): InventoryReply => ({ subject, data }) as InventoryReply;

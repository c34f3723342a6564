import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** A stock level after a change, as `catalog.stock.changed` and `live.stock.updated` carry it. */
export interface StockChange {
  productId: string;
  newQuantity: number;
  updatedAt: string;
  /** The product's `stockVersion` after the change: a later change has a greater one. */
  version: number;
}

/**
 * The inbox: every inventory command handled, keyed by its envelope id, written in the same
 * transaction as its effects, with the reply it produced and the stock changes it made. A
 * redelivered command finds its row, changes nothing and publishes the stored reply again.
 */
export const InboxMessage = defineEntity({
  name: 'InboxMessage',
  tableName: 'inbox_messages',
  properties: {
    id: p.string().length(200).primary(),
    subject: p.string().length(200),
    receivedAt: p.datetime().onCreate(() => new Date()),
    replySubject: p.string().length(200).nullable(),
    replyData: p.json<Record<string, unknown>>().nullable(),
    stockChanges: p.json<StockChange[]>().nullable(),
  },
  indexes: [{ properties: ['receivedAt'] }],
});
export type InboxMessage = InferEntity<typeof InboxMessage>;

import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order, OrderItem, Saga } from '../entities/index.js';

export interface LockedSaga {
  saga: Saga;
  order: Order;
  items: OrderItem[];
}

/**
 * Sagas, always changed with their row locked (`FOR UPDATE`) for the rest of the caller's
 * transaction: replies, the sweeper, cancellations and local steps of one saga never interleave.
 */
export class SagaRepository {
  constructor(private readonly em: EntityManager) {}

  /** The saga (locked), its order (locked) and items; null when there is no such saga. `skipLocked`: null when another transaction holds it. */
  async lock(where: { id: string } | { order: string }, opts: { skipLocked?: boolean } = {}): Promise<LockedSaga | null> {
    const saga = await this.em.findOne(Saga, where, {
      lockMode: opts.skipLocked ? LockMode.PESSIMISTIC_PARTIAL_WRITE : LockMode.PESSIMISTIC_WRITE,
      refresh: true,
    });
    if (!saga) return null;
    const order = await this.em.findOne(Order, { id: saga.order }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (!order) return null;
    const items = await this.em.find(OrderItem, { order: order.id }, { orderBy: [{ position: 'asc' }] });
    return { saga, order, items };
  }

  /** Ids of sagas whose deadline has passed (a step to time out or a local action to retry), oldest first. */
  async dueIds(now: Date, limit: number): Promise<string[]> {
    const rows = await this.em.find(Saga, { deadlineAt: { $lte: now } }, { fields: ['id'], orderBy: [{ deadlineAt: 'asc' }], limit });
    return rows.map((r) => r.id);
  }

  /**
   * Every saga of these orders, locked in id order (the erasure, before it deletes the orders).
   * Finished sagas too: every other transaction locks a saga before its order, so deleting an
   * order (whose saga goes with it) without holding its saga first could deadlock with a
   * shipOrder, a cancelOrder or a late reply on that order.
   */
  lockAllOf(orderIds: readonly string[]): Promise<Saga[]> {
    if (orderIds.length === 0) return Promise.resolve([]);
    return this.em.find(Saga, { order: { $in: [...orderIds] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
  }
}

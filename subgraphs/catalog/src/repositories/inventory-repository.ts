import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InventoryOrder, type InventoryOrderState, InventoryReservation, type ReservationState } from '../entities/index.js';

/** Inventory bookkeeping of orders: one row per order, one per reserved line. Use inside a transaction. */
export class InventoryRepository {
  constructor(private readonly em: EntityManager) {}

  /** The order's row, locked until the transaction ends; null when inventory never heard of the order. */
  findOrderForUpdate(orderId: string): Promise<InventoryOrder | null> {
    return this.em.findOne(InventoryOrder, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /**
   * Records the order's first outcome. The primary key makes a concurrent second handling of the
   * same order fail here (its transaction rolls back and the message is redelivered, to find this row).
   */
  async createOrder(data: {
    orderId: string;
    sagaId: string;
    state: InventoryOrderState;
    reason?: string | null;
  }): Promise<InventoryOrder> {
    const order = this.em.create(InventoryOrder, { ...data, reason: data.reason ?? null });
    await this.em.flush();
    return order;
  }

  reservationsOf(orderId: string): Promise<InventoryReservation[]> {
    return this.em.find(InventoryReservation, { orderId }, { orderBy: { productId: 'asc' } });
  }

  addReservation(data: { orderId: string; productId: string; quantity: number }): InventoryReservation {
    return this.em.create(InventoryReservation, { ...data, state: 'reserved' satisfies ReservationState });
  }

  flush(): Promise<void> {
    return this.em.flush();
  }
}

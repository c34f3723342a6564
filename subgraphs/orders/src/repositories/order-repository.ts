import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order, OrderItem, type OrderStatus, Saga } from '../entities/index.js';

export interface OrderQuery {
  status?: OrderStatus;
  limit: number;
  offset: number;
}

/** Orders with their items and saga. Visibility (owner or admin) is decided by the use cases. */
export class OrderRepository {
  constructor(private readonly em: EntityManager) {}

  findById(id: string): Promise<Order | null> {
    return this.em.findOne(Order, { id });
  }

  /** The user's orders, newest first. */
  /** Items of many orders in one query. */
  async itemsOf(orderIds: readonly string[]): Promise<Map<string, OrderItem[]>> {
    const result = new Map<string, OrderItem[]>(orderIds.map((id) => [id, []]));
    if (orderIds.length === 0) return result;
    const items = await this.em.find(OrderItem, { order: { $in: [...new Set(orderIds)] } }, { orderBy: [{ position: 'asc' }] });
    for (const item of items) result.get(item.order)?.push(item);
    return result;
  }

  /** Sagas of many orders in one query. */
  async sagasOf(orderIds: readonly string[]): Promise<Map<string, Saga>> {
    if (orderIds.length === 0) return new Map();
    const sagas = await this.em.find(Saga, { order: { $in: [...new Set(orderIds)] } });
    return new Map(sagas.map((s) => [s.order, s]));
  }

  findForUpdate(id: string): Promise<Order | null> {
    return this.em.findOne(Order, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Erasure: every order of the user (items and sagas go with them: on delete cascade). */
  async listIdsForUser(userId: string): Promise<string[]> {
    const rows = await this.em.find(Order, { userId }, { fields: ['id'] });
    return rows.map((o) => o.id);
  }

  deleteAllForUser(userId: string): Promise<number> {
    return this.em.nativeDelete(Order, { userId });
  }
}

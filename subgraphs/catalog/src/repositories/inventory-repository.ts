import { serviceSchema } from '@app/platform';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InventoryOrder, type InventoryOrderState, InventoryReservation, type ReservationState } from '../entities/index.js';

/** A product row as a reservation sees it (locked). */
export interface StockRow {
  id: string;
  name: string;
  stockQuantity: number;
}

/** A product's stock level after a reservation, and when it changed. */
export interface NewStock {
  id: string;
  stockQuantity: number;
  updatedAt: Date;
}

/**
 * Inventory bookkeeping of orders: one row per order, one per reserved line. Use inside a
 * transaction. The reserve and commit of the order saga (two commands per order) read and write
 * with plain SQL, one statement each way: their ORM work was most of the catalog's CPU.
 */
export class InventoryRepository {
  constructor(private readonly em: EntityManager) {}

  private get schema() {
    return serviceSchema(this.em);
  }

  /** The products, locked in id order (no deadlock between concurrent reservations); missing ones are absent. */
  lockStock(ids: readonly string[]): Promise<StockRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.em.execute<StockRow[]>(
      `select id, name, stock_quantity as "stockQuantity" from ${this.schema}.products
       where id in (${ids.map(() => '?').join(', ')}) order by id for update`,
      [...ids],
    );
  }

  /**
   * In one statement: takes `lines` from the (locked) products' stock, records them as the
   * order's reserved lines, and the order as `reserved`; answers the new stock levels. The
   * order's primary key makes a concurrent second handling of the same order fail here.
   */
  async reserve(orderId: string, sagaId: string, lines: readonly (readonly [string, number])[]): Promise<NewStock[]> {
    const now = new Date();
    const values = lines.map(() => '(?::uuid, ?::int)').join(', ');
    const rows = await this.em.execute<(Omit<NewStock, 'updatedAt'> & { updatedAt: string })[]>(
      `with lines (product_id, quantity) as (values ${values}),
       taken as (
         update ${this.schema}.products p set stock_quantity = p.stock_quantity - l.quantity, updated_at = ?
         from lines l where p.id = l.product_id
         returning p.id, p.stock_quantity as "stockQuantity", p.updated_at as "updatedAt"),
       held as (
         insert into ${this.schema}.inventory_reservations (id, order_id, product_id, quantity, state, created_at, updated_at)
         select gen_random_uuid(), ?, l.product_id, l.quantity, 'reserved', ?, ? from lines l),
       decided as (
         insert into ${this.schema}.inventory_orders (order_id, saga_id, state, reason, created_at, updated_at)
         values (?, ?, 'reserved', null, ?, ?))
       select id, "stockQuantity", to_json("updatedAt") #>> '{}' as "updatedAt" from taken order by id`,
      [...lines.flat(), now, orderId, now, now, orderId, sagaId, now, now],
    );
    return rows.map((r) => ({ ...r, updatedAt: new Date(r.updatedAt) }));
  }

  /** Records the order as failed (nothing reserved), in one statement. */
  async recordFailed(orderId: string, sagaId: string, reason: string): Promise<void> {
    const now = new Date();
    await this.em.execute(
      `insert into ${this.schema}.inventory_orders (order_id, saga_id, state, reason, created_at, updated_at) values (?, ?, 'failed', ?, ?, ?)`,
      [orderId, sagaId, reason, now, now],
    );
  }

  /** The order's reserved lines become sold and the order `committed`, in one statement. */
  async commit(orderId: string): Promise<void> {
    const now = new Date();
    await this.em.execute(
      `with sold as (
         update ${this.schema}.inventory_reservations set state = 'committed', updated_at = ? where order_id = ? and state = 'reserved')
       update ${this.schema}.inventory_orders set state = 'committed', updated_at = ? where order_id = ?`,
      [now, orderId, now, orderId],
    );
  }

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

import { type OutboxRecord, serviceSchema } from '@app/platform';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InventoryOrder, type InventoryOrderState, InventoryReservation, type ReservationState } from '../entities/index.js';
import type { StoredReply } from './inbox-repository.js';

/** A product row as a reservation sees it (locked). */
export interface StockRow {
  id: string;
  name: string;
  stockQuantity: number;
}

/** A product's stock level after a reservation. */
export interface NewStock {
  id: string;
  stockQuantity: number;
}

/**
 * Inventory bookkeeping of orders: one row per order, one per reserved line. Use inside a
 * transaction. The reserve and commit of the order saga (two commands per order) write with
 * plain SQL, one statement each: their ORM work was most of the catalog's CPU.
 */
export class InventoryRepository {
  constructor(private readonly em: EntityManager) {}

  private get schema() {
    return serviceSchema(this.em);
  }

  /**
   * A reservation in ONE statement, so the products stay locked for that statement and the
   * commit only (hot products serialise every order that names them: a lock held across several
   * round trips was the saga's ceiling). Locks `lines`' products in id order (no deadlock between
   * concurrent reservations) and checks them; when every line is there and in stock, takes the
   * stock, records the order's reserved lines and the order as `reserved`, writes `announce.outbox`
   * (each row naming a product gets that product's new `newQuantity` in its payload) and records
   * `announce.reply` and the stock changes on the command's inbox row. Otherwise writes nothing.
   * Answers the locked products (missing ones absent) and, when taken, their new stock levels.
   * The order's primary key makes a concurrent second handling of the same order fail here.
   */
  async reserveAndAnnounce(input: {
    orderId: string;
    sagaId: string;
    lines: readonly (readonly [string, number])[];
    now: Date;
    announce: { inboxId: string; reply: StoredReply; outbox: readonly (OutboxRecord & { productId: string | null })[] };
  }): Promise<{ locked: StockRow[]; taken: NewStock[] | null }> {
    const { orderId, sagaId, lines, now, announce } = input;
    const lineValues = lines.map(() => '(?::uuid, ?::int)').join(', ');
    const rowValues = announce.outbox.map(() => '(?::int, ?::uuid, ?, ?, ?, ?::jsonb, ?::timestamptz, ?, ?::uuid)').join(', ');
    const ok = '(select ok from verdict)';
    const rows = await this.em.execute<(StockRow & { ok: boolean; newQuantity: number | null })[]>(
      `with lines (product_id, quantity) as (values ${lineValues}),
       locked as (
         select p.id, p.name, p.stock_quantity from ${this.schema}.products p
         where p.id in (select product_id from lines) order by p.id for update),
       verdict as (
         select count(k.id) = (select count(*) from lines) and coalesce(bool_and(k.stock_quantity >= l.quantity), false) as ok
         from lines l left join locked k on k.id = l.product_id),
       taken as (
         update ${this.schema}.products p set stock_quantity = p.stock_quantity - l.quantity, updated_at = ?
         from lines l where p.id = l.product_id and ${ok}
         returning p.id, p.stock_quantity),
       held as (
         insert into ${this.schema}.inventory_reservations (id, order_id, product_id, quantity, state, created_at, updated_at)
         select gen_random_uuid(), ?, l.product_id, l.quantity, 'reserved', ?, ? from lines l where ${ok}),
       decided as (
         insert into ${this.schema}.inventory_orders (order_id, saga_id, state, reason, created_at, updated_at)
         select ?, ?, 'reserved', null, ?, ? where ${ok}),
       planned (ord, id, msg_id, subject, kind, payload, created_at, trace_context, product_id) as (values ${rowValues}),
       announced as (
         insert into ${this.schema}.outbox (id, msg_id, subject, kind, payload, created_at, sent_at, attempts, last_error, trace_context)
         select r.id, r.msg_id, r.subject, r.kind,
           case when r.product_id is null then r.payload
             else jsonb_set(r.payload, '{newQuantity}', to_jsonb((select t.stock_quantity from taken t where t.id = r.product_id))) end,
           r.created_at, null, 0, null, r.trace_context
         from planned r where ${ok} order by r.ord),
       recorded as (
         update ${this.schema}.inbox_messages set reply_subject = ?, reply_data = ?::jsonb,
           stock_changes = (select jsonb_agg(jsonb_build_object('productId', t.id, 'newQuantity', t.stock_quantity, 'updatedAt', ?::text)
             order by t.id) from taken t)
         where id = ? and ${ok})
       select ${ok} as ok, k.id, k.name, k.stock_quantity as "stockQuantity", t.stock_quantity as "newQuantity"
       from locked k left join taken t on t.id = k.id order by k.id`,
      [
        ...lines.flat(),
        now,
        orderId,
        now,
        now,
        orderId,
        sagaId,
        now,
        now,
        ...announce.outbox.flatMap((r, i) => [
          i,
          r.id,
          r.msgId,
          r.subject,
          r.kind,
          JSON.stringify(r.payload),
          r.createdAt,
          r.traceContext,
          r.productId,
        ]),
        announce.reply.subject,
        JSON.stringify(announce.reply.data),
        now.toISOString(),
        announce.inboxId,
      ],
    );
    const locked = rows.map(({ id, name, stockQuantity }) => ({ id, name, stockQuantity }));
    const taken = rows[0]?.ok ? rows.map((r) => ({ id: r.id, stockQuantity: r.newQuantity! })) : null;
    return { locked, taken };
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

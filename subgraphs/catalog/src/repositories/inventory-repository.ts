import { executePrepared, type OutboxRecord, outboxRowParams, serviceSchema } from '@app/platform';
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

/** A product's stock level after a reservation, and its `stockVersion`. */
export interface NewStock {
  id: string;
  stockQuantity: number;
  version: number;
}

/**
 * Inventory bookkeeping of orders: one row per order, one per reserved line. Use inside a
 * transaction, except the statements that say they stand alone. The reserve and commit of the
 * order saga (two commands per order) write with plain SQL, one statement each, and in the usual
 * case that statement is the whole handling, inbox claim included: their ORM work was most of the
 * catalog's CPU, and every round trip to Postgres (a BEGIN, a COMMIT) costs both processes a
 * socket write and a wake-up.
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
   * concurrent reservations) and checks them; when every line is there and in stock, records
   * `announce.reply` and the stock changes on the command's inbox row, takes the stock, records
   * the order's reserved lines and the order as `reserved`, and writes `announce.outbox` as ONE
   * outbox row, the first announcement's with the others as its followers, as `groupOutboxRecords`
   * builds it (each announcement naming a product gets that product's new `newQuantity` and
   * `version` in its payload). Otherwise writes nothing. Answers the locked products (missing
   * ones absent) and, when taken, their new levels.
   *
   * The inbox row: with `claim` the statement inserts it (the whole handling is this one
   * statement, outside any transaction: a message already in the inbox, or an order inventory
   * has already decided on, takes nothing and answers `taken` null); without, it updates the row
   * its caller's transaction claimed. The order's primary key makes a concurrent second handling
   * of the same order fail here.
   */
  async reserveAndAnnounce(input: {
    orderId: string;
    sagaId: string;
    lines: readonly (readonly [string, number])[];
    now: Date;
    announce: { inboxId: string; reply: StoredReply; outbox: readonly (OutboxRecord & { productId: string | null })[] };
    claim?: { subject: string };
  }): Promise<{ locked: StockRow[]; taken: NewStock[] | null }> {
    const { orderId, sagaId, lines, now, announce, claim } = input;
    const lineValues = lines.map(() => '(?::uuid, ?::int)').join(', ');
    const planned = plannedRows(announce.outbox);
    const record = this.inboxRecord(announce.inboxId, announce.reply, now, claim);
    // Everything below is written only once the inbox row holds the outcome: the check passed (and, claiming, the message is new).
    const recorded = '(select count(*) > 0 from recorded)';
    const rows = await executePrepared<StockRow & { ok: boolean; newQuantity: number | null; newVersion: string | null }>(
      this.em,
      `with lines (product_id, quantity) as (values ${lineValues}),
       locked as (
         select p.id, p.name, p.stock_quantity, p.stock_version from ${this.schema}.products p
         where p.id in (select product_id from lines) order by p.id for update),
       verdict as (
         select count(k.id) = (select count(*) from lines) and coalesce(bool_and(k.stock_quantity >= l.quantity), false)
           ${claim ? `and not exists (select 1 from ${this.schema}.inventory_orders where order_id = ?)` : ''} as ok
         from lines l left join locked k on k.id = l.product_id),
       changes as (
         select jsonb_agg(jsonb_build_object('productId', k.id, 'newQuantity', k.stock_quantity - l.quantity, 'updatedAt', ?::text,
           'version', k.stock_version + 1) order by k.id) as stock
         from lines l join locked k on k.id = l.product_id),
       recorded as (${record.sql}),
       taken as (
         update ${this.schema}.products p
         set stock_quantity = p.stock_quantity - l.quantity, stock_version = p.stock_version + 1, updated_at = ?
         from lines l where p.id = l.product_id and ${recorded}
         returning p.id, p.stock_quantity, p.stock_version),
       held as (
         insert into ${this.schema}.inventory_reservations (id, order_id, product_id, quantity, state, created_at, updated_at)
         select gen_random_uuid(), ?, l.product_id, l.quantity, 'reserved', ?, ? from lines l where ${recorded}),
       decided as (
         insert into ${this.schema}.inventory_orders (order_id, saga_id, state, reason, created_at, updated_at)
         select ?, ?, 'reserved', null, ?, ? where ${recorded}),
       planned (ord, id, msg_id, subject, kind, payload, broadcast_subject, broadcast_payload, followers, created_at, trace_context,
         product_id) as (values ${planned.sql}),
       filled as (
         select r.*, case when r.product_id is null then r.payload
             else r.payload || (select jsonb_build_object('newQuantity', t.stock_quantity, 'version', t.stock_version)
               from taken t where t.id = r.product_id) end as filled
         from planned r),
       announced as (
         insert into ${this.schema}.outbox (id, msg_id, subject, kind, payload, broadcast_subject, broadcast_payload, followers,
           created_at, sent_at, attempts, last_error, trace_context)
         select r.id, r.msg_id, r.subject, r.kind, r.filled, r.broadcast_subject, r.broadcast_payload,
           (select jsonb_agg(jsonb_build_object('id', f.id, 'msgId', f.msg_id, 'subject', f.subject, 'kind', f.kind, 'payload', f.filled,
              'broadcastSubject', f.broadcast_subject, 'broadcastPayload', f.broadcast_payload) order by f.ord)
            from filled f where f.ord > 0),
           r.created_at, null, 0, null, r.trace_context
         from filled r where r.ord = 0 and ${recorded})
       select ${recorded} as ok, k.id, k.name, k.stock_quantity as "stockQuantity", t.stock_quantity as "newQuantity",
         t.stock_version as "newVersion"
       from locked k left join taken t on t.id = k.id order by k.id`,
      [
        ...lines.flat(),
        ...(claim ? [orderId] : []),
        now.toISOString(),
        ...record.params,
        now,
        orderId,
        now,
        now,
        orderId,
        sagaId,
        now,
        now,
        ...planned.params,
      ],
    );
    const locked = rows.map(({ id, name, stockQuantity }) => ({ id, name, stockQuantity }));
    // bigint comes back as text; a product's count of stock changes stays far below 2^53.
    const taken = rows[0]?.ok ? rows.map((r) => ({ id: r.id, stockQuantity: r.newQuantity!, version: Number(r.newVersion) })) : null;
    return { locked, taken };
  }

  /**
   * reserveAndAnnounce's `recorded`: the outcome on the command's inbox row, inserted with the
   * claim (`claim`; nothing when the row exists: a message handled before), or written on the row
   * the caller's transaction claimed. Either returns a row only when the check (`verdict`) passed.
   */
  private inboxRecord(inboxId: string, reply: StoredReply, now: Date, claim?: { subject: string }) {
    const replyValues = [reply.subject, JSON.stringify(reply.data)];
    return claim
      ? {
          sql: `insert into ${this.schema}.inbox_messages (id, subject, received_at, reply_subject, reply_data, stock_changes)
                select ?, ?, ?, ?, ?::jsonb, (select stock from changes) where (select ok from verdict)
                on conflict (id) do nothing returning 1`,
          params: [inboxId, claim.subject, now, ...replyValues],
        }
      : {
          sql: `update ${this.schema}.inbox_messages set reply_subject = ?, reply_data = ?::jsonb, stock_changes = (select stock from changes)
                where id = ? and (select ok from verdict) returning 1`,
          params: [...replyValues, inboxId],
        };
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
    await executePrepared(this.em, `with ${this.commitWrites('true')} select 1`, [now, orderId, now, orderId]);
  }

  /** A commit's two writes as CTEs (the reserved lines sold, the order `committed`), each made only `when`; parameters: now, order id, now, order id. */
  private commitWrites(when: string): string {
    return `sold as (
         update ${this.schema}.inventory_reservations set state = 'committed', updated_at = ?
         where order_id = ? and state = 'reserved' and ${when}),
       decided as (
         update ${this.schema}.inventory_orders set state = 'committed', updated_at = ?
         where order_id = ? and state = 'reserved' and ${when})`;
  }

  /**
   * A commit in ONE statement, outside any transaction: when the order holds its reservation
   * (`reserved`, or `committed` already), claims the message in the inbox and, if it was new,
   * makes the reserved lines sold and the order `committed`. False: nothing written (the message
   * was handled before, or the order holds nothing); the caller then takes the transactional path.
   */
  async commitAlone(orderId: string, message: { id: string; subject: string }): Promise<boolean> {
    const now = new Date();
    const claimed = `exists (select 1 from claim)`;
    const [row] = await executePrepared<{ claimed: boolean }>(
      this.em,
      `with prior as (select state from ${this.schema}.inventory_orders where order_id = ? for update),
       claim as (
         insert into ${this.schema}.inbox_messages (id, subject, received_at)
         select ?, ?, ? from prior where prior.state in ('reserved', 'committed')
         on conflict (id) do nothing returning 1),
       ${this.commitWrites(claimed)}
       select ${claimed} as claimed`,
      [orderId, message.id, message.subject, now, now, orderId, now, orderId],
    );
    return row?.claimed === true;
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

/**
 * reserveAndAnnounce's `planned` rows: the announcements in order, each naming the product whose
 * new level it carries (or null), for the statement to fill the levels in and make them one
 * outbox row. A broadcast rides with its announcement's own payload (the new level included), so
 * none has a payload of its own, and none is grouped yet.
 */
function plannedRows(outbox: readonly (OutboxRecord & { productId: string | null })[]) {
  if (outbox.some((r) => r.broadcastPayload !== null || r.followers !== null))
    throw new Error('a reservation plans ungrouped announcements, and no broadcast with a payload of its own');
  return {
    sql: outbox.map(() => '(?::int, ?::uuid, ?, ?, ?, ?::jsonb, ?::varchar, ?::jsonb, ?::jsonb, ?::timestamptz, ?, ?::uuid)').join(', '),
    params: outbox.flatMap((r, i) => [i, ...outboxRowParams(r), r.productId]),
  };
}

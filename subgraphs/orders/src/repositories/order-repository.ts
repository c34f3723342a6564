import { executePrepared, LAST_STATEMENT, type OutboxRecord, outboxInsert, serviceSchema } from '@app/platform';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order, type OrderItem, type OrderStatus, Saga } from '../entities/index.js';
import { sagaProgressValues } from './saga-repository.js';

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

  /** Sagas of many orders in one query. */
  async sagasOf(orderIds: readonly string[]): Promise<Map<string, Saga>> {
    if (orderIds.length === 0) return new Map();
    const sagas = await this.em.find(Saga, { order: { $in: [...new Set(orderIds)] } });
    return new Map(sagas.map((s) => [s.order, s]));
  }

  private get schema() {
    return serviceSchema(this.em);
  }

  /**
   * A new order with its items, its saga and the saga's first outbox rows, in one statement
   * (createOrder's write: plain SQL, no entities to track) that is its transaction's last: it
   * goes out with the COMMIT (LAST_STATEMENT, one round trip for both). It first reads whether
   * the account's data was erased (this statement's snapshot is taken after the user's order
   * lock, so it sees an erasure that held the lock), and writes nothing at all when it was:
   * `erased` true then means nothing was placed (the caller refuses the order).
   */
  async create(order: Order, items: readonly OrderItem[], saga: Saga, outbox: readonly OutboxRecord[]): Promise<{ erased: boolean }> {
    const allowed = 'not (select erased from erasure)';
    const insert = outboxInsert(this.em, outbox, { onlyIf: allowed });
    // Typed: a VALUES list in a FROM types its columns itself (INSERT ... SELECT of plain parameters takes the table's).
    const itemValues = items.map(() => '(?::uuid, ?::uuid, ?::int, ?::uuid, ?::text, ?::int, ?::numeric, ?::numeric)').join(', ');
    const [row] = await executePrepared<{ erased: boolean }>(
      this.em,
      `${LAST_STATEMENT} with erasure as materialized (select exists (select 1 from ${this.schema}.erasures where user_id = ?) as erased),
       o as (
         insert into ${this.schema}.orders (id, user_id, status, total_amount, version, created_at, updated_at)
         select ?, ?, ?, ?, ?, ?, ? where ${allowed}),
       i as (
         insert into ${this.schema}.order_items (id, order_id, position, product_id, product_name, quantity, unit_price, subtotal)
         select * from (values ${itemValues}) lines where ${allowed}),
       s as (
         insert into ${this.schema}.sagas (id, order_id, state, status, current_step, completed_steps, pending_compensations,
           failure_reason, terminal_state, payment_status, payment_id, step_started_at, deadline_at, started_at, completed_at, updated_at)
         select ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ? where ${allowed})
       ${insert ? `, outboxed as (${insert.sql})` : ''}
       select erased from erasure`,
      [
        order.userId,
        order.id,
        order.userId,
        order.status,
        order.totalAmount,
        order.version,
        order.createdAt,
        order.updatedAt,
        ...items.flatMap((i) => [i.id, order.id, i.position, i.productId, i.productName, i.quantity, i.unitPrice, i.subtotal]),
        saga.id,
        order.id,
        ...sagaProgressValues(saga),
        saga.startedAt,
        saga.completedAt ?? null,
        saga.updatedAt,
        ...(insert?.params ?? []),
      ],
    );
    return { erased: row.erased };
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

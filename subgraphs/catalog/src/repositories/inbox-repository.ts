import { executePrepared, type OutboxRecord, outboxInsert, serviceSchema } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InboxMessage, type InventoryOrderState, type StockChange } from '../entities/index.js';

export interface StoredReply {
  subject: string;
  data: Record<string, unknown>;
}

/** The inbox of handled inventory commands. Use inside the transaction that handles the command. */
export class InboxRepository {
  constructor(private readonly em: EntityManager) {}

  private get schema() {
    return serviceSchema(this.em);
  }

  /**
   * Claims a message id for an order's command, and locks what inventory decided for that order
   * (`inventory_orders`, FOR UPDATE), in one statement: `claimed` when this transaction is the
   * first to handle the message (a concurrent handling of it waits here until the first commits,
   * then is not, or rolls back); `decision` null when the order is not known yet.
   */
  async claim(
    id: string,
    subject: string,
    orderId: string,
  ): Promise<{ claimed: boolean; decision: { state: InventoryOrderState; reason: string | null } | null }> {
    // Plain SQL: one claim per inventory command, on the hot path.
    const [row] = await this.em.execute<{ claimed: number; state: InventoryOrderState | null; reason: string | null }[]>(
      `with claim as (insert into ${this.schema}.inbox_messages (id, subject, received_at) values (?, ?, ?) on conflict (id) do nothing returning 1)
       select (select count(*) from claim)::int as claimed, io.state, io.reason
       from (select 1) one left join lateral (
         select state, reason from ${this.schema}.inventory_orders where order_id = ? for update
       ) io on true`,
      [id, subject, new Date(), orderId],
    );
    return { claimed: row.claimed === 1, decision: row.state ? { state: row.state, reason: row.reason } : null };
  }

  find(id: string): Promise<InboxMessage | null> {
    return this.em.findOne(InboxMessage, { id }, { refresh: true });
  }

  /**
   * What handling the message produced, in one statement: its reply (if any) and the stock
   * changes it made recorded on its row, and `outbox` (their announcements) inserted.
   */
  async record(id: string, reply: StoredReply | null, stockChanges: StockChange[], outbox: readonly OutboxRecord[]): Promise<void> {
    const insert = outboxInsert(this.em, outbox);
    await executePrepared(
      this.em,
      `with recorded as (
         update ${this.schema}.inbox_messages set reply_subject = ?, reply_data = ?::jsonb, stock_changes = ?::jsonb where id = ?)
       ${insert?.sql ?? 'select 1'}`,
      [reply?.subject ?? null, reply ? JSON.stringify(reply.data) : null, JSON.stringify(stockChanges), id, ...(insert?.params ?? [])],
    );
  }

  /** Forgets messages received before `before`; how many went. */
  prune(before: Date): Promise<number> {
    return this.em.nativeDelete(InboxMessage, { receivedAt: { $lt: before } });
  }
}

import { type OutboxRecord, outboxInsert, serviceSchema } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InboxMessage, type StockChange } from '../entities/index.js';

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
   * Claims a message id: true when this transaction is the first to handle it. A concurrent
   * handling of the same message waits here until the first commits (then gets false) or rolls back.
   */
  async claim(id: string, subject: string): Promise<boolean> {
    // Plain SQL: one claim per inventory command, on the hot path.
    const result = await this.em.execute<{ affectedRows?: number }>(
      `insert into ${this.schema}.inbox_messages (id, subject, received_at) values (?, ?, ?) on conflict (id) do nothing`,
      [id, subject, new Date()],
      'run',
    );
    return result.affectedRows === 1;
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
    await this.em.execute(
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

import type { EntityManager } from '@mikro-orm/postgresql';
import { InboxMessage, type StockChange } from '../entities/index.js';

export interface StoredReply {
  subject: string;
  data: Record<string, unknown>;
}

/** The inbox of handled inventory commands. Use inside the transaction that handles the command. */
export class InboxRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Claims a message id: true when this transaction is the first to handle it. A concurrent
   * handling of the same message waits here until the first commits (then gets false) or rolls back.
   */
  async claim(id: string, subject: string): Promise<boolean> {
    const result = await this.em
      .createQueryBuilder(InboxMessage)
      .insert({ id, subject, receivedAt: new Date(), replySubject: null, replyData: null, stockChanges: null })
      .onConflict('id')
      .ignore()
      .execute('run');
    return (result as { affectedRows?: number }).affectedRows === 1;
  }

  find(id: string): Promise<InboxMessage | null> {
    return this.em.findOne(InboxMessage, { id }, { refresh: true });
  }

  /** What handling the message produced: its reply (if any) and the stock changes to announce. */
  async record(id: string, reply: StoredReply | null, stockChanges: StockChange[]): Promise<void> {
    await this.em.nativeUpdate(
      InboxMessage,
      { id },
      { replySubject: reply?.subject ?? null, replyData: reply?.data ?? null, stockChanges },
    );
  }

  /** Forgets messages received before `before`; how many went. */
  prune(before: Date): Promise<number> {
    return this.em.nativeDelete(InboxMessage, { receivedAt: { $lt: before } });
  }
}

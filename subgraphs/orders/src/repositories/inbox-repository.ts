import { serviceSchema } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ProcessedMessage } from '../entities/index.js';

/** The inbox: message ids already handled. Use inside the transaction that handles the message. */
export class InboxRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * True when this transaction is the first to handle the message. A concurrent handling of the
   * same message waits here until the first commits (then gets false) or rolls back.
   */
  async claim(id: string): Promise<boolean> {
    // Plain SQL: one claim per saga reply, on the hot path.
    const schema = serviceSchema(this.em);
    const result = await this.em.execute<{ affectedRows?: number }>(
      `insert into ${schema}.processed_messages (id, processed_at) values (?, ?) on conflict (id) do nothing`,
      [id, new Date()],
      'run',
    );
    return result.affectedRows === 1;
  }

  /** Forgets ids older than the stream's retention (a redelivery that old cannot happen). */
  purgeOlderThan(date: Date): Promise<number> {
    return this.em.nativeDelete(ProcessedMessage, { processedAt: { $lt: date } });
  }
}

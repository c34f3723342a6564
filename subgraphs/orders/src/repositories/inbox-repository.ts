import type { EntityManager } from '@mikro-orm/postgresql';
import { ProcessedMessage } from '../entities/index.js';

/** The inbox: message ids already handled (a saga reply claims its id with the saga's lock: SagaRepository.lock). */
export class InboxRepository {
  constructor(private readonly em: EntityManager) {}

  /** Forgets ids older than the stream's retention (a redelivery that old cannot happen). */
  purgeOlderThan(date: Date): Promise<number> {
    return this.em.nativeDelete(ProcessedMessage, { processedAt: { $lt: date } });
  }
}

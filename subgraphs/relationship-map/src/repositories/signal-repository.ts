import type { EntityManager } from '@mikro-orm/postgresql';
import { AggregateSignal } from '../entities/index.js';

export interface SignalValues {
  activityVolume: string;
  reactionCount: string;
  commentCount: string;
  postCount: string;
  collectedAt: Date;
  validUntil: Date;
}

export class SignalRepository {
  constructor(private readonly em: EntityManager) {}

  /** The user's signals over the window that are still valid at `now`. */
  findValid(userId: string, windowDays: number, now: Date): Promise<AggregateSignal | null> {
    return this.em.findOne(AggregateSignal, { userId, windowDays, validUntil: { $gt: now } });
  }

  save(userId: string, windowDays: number, values: SignalValues): Promise<AggregateSignal> {
    return this.em.upsert(AggregateSignal, { userId, windowDays, ...values }, { onConflictFields: ['userId', 'windowDays'] });
  }

  deleteForUser(userId: string): Promise<number> {
    return this.em.nativeDelete(AggregateSignal, { userId });
  }
}

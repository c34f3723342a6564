import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BodyMetric } from '../entities/index.js';

export interface BodyMetricListFilter {
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface UpdateBodyMetricFields {
  measuredAt?: Date;
  weightKg?: number;
  bodyFatPct?: number | null;
  note?: string | null;
}

/** Body metrics, always of one user: `userId` is in every query. */
export class BodyMetricRepository {
  constructor(private readonly em: EntityManager) {}

  /** The user's metrics with measuredAt in [from, to), newest first, and how many there are in all. */
  listByUser(userId: string, f: BodyMetricListFilter): Promise<[BodyMetric[], number]> {
    const measuredAt = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) };
    return this.em.findAndCount(
      BodyMetric,
      { userId, ...(f.from || f.to ? { measuredAt } : {}) },
      { orderBy: [{ measuredAt: 'desc' }, { id: 'desc' }], limit: f.limit, offset: f.offset },
    );
  }

  async create(
    userId: string,
    data: { measuredAt: Date; weightKg: number; bodyFatPct: number | null; note: string | null },
  ): Promise<BodyMetric> {
    const metric = this.em.create(BodyMetric, { userId, ...data });
    await this.em.flush();
    return metric;
  }

  /** Applies the changes with the row locked; null when the user has no such metric. */
  async updateOwned(userId: string, metricId: string, changes: UpdateBodyMetricFields): Promise<BodyMetric | null> {
    return this.em.transactional(async (tx) => {
      const metric = await tx.findOne(BodyMetric, { id: metricId, userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!metric) return null;
      if (changes.measuredAt !== undefined) metric.measuredAt = changes.measuredAt;
      if (changes.weightKg !== undefined) metric.weightKg = changes.weightKg;
      if (changes.bodyFatPct !== undefined) metric.bodyFatPct = changes.bodyFatPct;
      if (changes.note !== undefined) metric.note = changes.note;
      return metric;
    });
  }

  async deleteOwned(userId: string, metricId: string): Promise<boolean> {
    return (await this.em.nativeDelete(BodyMetric, { id: metricId, userId })) > 0;
  }

  deleteAllForUser(userId: string): Promise<number> {
    return this.em.nativeDelete(BodyMetric, { userId });
  }
}

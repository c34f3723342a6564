import { LockMode, raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Workout, WorkoutSet } from '../entities/index.js';

export interface WorkoutQuery {
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface WorkoutChanges {
  startedAt?: Date;
  endedAt?: Date | null;
  note?: string | null;
}

/**
 * Workouts, always of one user: every method takes the user's id and puts it in the query
 * itself, so another user's workout is simply not found (no load-then-check).
 */
export class WorkoutRepository {
  constructor(private readonly em: EntityManager) {}

  async create(userId: string, data: { startedAt: Date; note: string | null }): Promise<Workout> {
    const workout = this.em.create(Workout, { userId, startedAt: data.startedAt, note: data.note, endedAt: null });
    await this.em.flush();
    return workout;
  }

  findByIdForUser(userId: string, workoutId: string): Promise<Workout | null> {
    return this.em.findOne(Workout, { id: workoutId, userId });
  }

  /** The user's workouts with startedAt in [from, to), newest start first, and how many there are in all. */
  async findWorkoutsByUser(userId: string, q: WorkoutQuery): Promise<[Workout[], number]> {
    const startedAt = { ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lt: q.to } : {}) };
    return this.em.findAndCount(
      Workout,
      { userId, ...(q.from || q.to ? { startedAt } : {}) },
      { orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], limit: q.limit, offset: q.offset },
    );
  }

  /** The user's latest-started workout that has not ended. */
  findOngoing(userId: string): Promise<Workout | null> {
    return this.em.findOne(Workout, { userId, endedAt: null }, { orderBy: [{ startedAt: 'desc' }, { createdAt: 'desc' }] });
  }

  /** Applies the changes (absent = unchanged) with the row locked; `check` sees the result before it is written. */
  async updateWorkoutByIdAndUser(
    userId: string,
    workoutId: string,
    changes: WorkoutChanges,
    check?: (w: Workout) => void,
  ): Promise<Workout | null> {
    return this.em.transactional(async (tx) => {
      const workout = await tx.findOne(Workout, { id: workoutId, userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!workout) return null;
      if (changes.startedAt !== undefined) workout.startedAt = changes.startedAt;
      if (changes.endedAt !== undefined) workout.endedAt = changes.endedAt;
      if (changes.note !== undefined) workout.note = changes.note;
      check?.(workout);
      return workout;
    });
  }

  /** Deletes the workout and its sets; false when the user has no such workout. */
  async deleteWorkoutByIdAndUser(userId: string, workoutId: string): Promise<boolean> {
    return this.em.transactional(async (tx) => {
      await tx.nativeDelete(WorkoutSet, { workout: workoutId, userId });
      return (await tx.nativeDelete(Workout, { id: workoutId, userId })) > 0;
    });
  }

  /**
   * Takes the next set number of the user's workout (0, 1, 2, ...) in one atomic UPDATE, which
   * also locks the workout row until the caller's transaction ends. Null: no such workout of theirs.
   */
  async reserveSetIndex(userId: string, workoutId: string): Promise<number | null> {
    const updated = await this.em.nativeUpdate(Workout, { id: workoutId, userId }, { nextSetIndex: raw('next_set_index + 1') });
    if (!updated) return null;
    const [row] = await this.em.find(
      Workout,
      { id: workoutId, userId },
      { fields: ['nextSetIndex'], refresh: true, disableIdentityMap: true },
    );
    return row.nextSetIndex - 1;
  }

  /** Erasure: every workout of the user (their sets go with them). */
  deleteAllForUser(userId: string): Promise<number> {
    return this.em.nativeDelete(Workout, { userId });
  }
}

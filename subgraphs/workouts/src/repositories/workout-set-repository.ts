import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkoutSet } from '../entities/index.js';

export interface WorkoutSetChanges {
  exerciseId?: string;
  reps?: number;
  weightKg?: number | null;
  note?: string | null;
}

/** Sets, always of one user: `userId` (the workout's owner) is in every query. */
export class WorkoutSetRepository {
  constructor(private readonly em: EntityManager) {}

  async create(
    userId: string,
    data: { workoutId: string; exerciseId: string; setIndex: number; reps: number; weightKg: number | null; note: string | null },
  ): Promise<WorkoutSet> {
    const set = this.em.create(WorkoutSet, {
      userId,
      workout: data.workoutId,
      exercise: data.exerciseId,
      setIndex: data.setIndex,
      reps: data.reps,
      weightKg: data.weightKg,
      note: data.note,
    });
    await this.em.flush();
    return set;
  }

  findByIdForUser(userId: string, setId: string): Promise<WorkoutSet | null> {
    return this.em.findOne(WorkoutSet, { id: setId, userId });
  }

  /** The sets of several workouts (each with its owner), ordered by setIndex: one query for a whole page of workouts. */
  async listSetsByWorkouts(keys: readonly { workoutId: string; userId: string }[]): Promise<WorkoutSet[]> {
    if (keys.length === 0) return [];
    return this.em.find(
      WorkoutSet,
      { $or: keys.map((k) => ({ workout: k.workoutId, userId: k.userId })) },
      { orderBy: [{ workout: 'asc' }, { setIndex: 'asc' }] },
    );
  }

  /** One of the user's sets, row-locked for the rest of the caller's transaction. */
  findForUpdate(userId: string, setId: string): Promise<WorkoutSet | null> {
    return this.em.findOne(WorkoutSet, { id: setId, userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Applies the changes (absent = unchanged) to a set loaded by `findForUpdate`; the caller's transaction writes them. */
  applyChanges(set: WorkoutSet, changes: WorkoutSetChanges): WorkoutSet {
    if (changes.exerciseId !== undefined) set.exercise = changes.exerciseId;
    if (changes.reps !== undefined) set.reps = changes.reps;
    if (changes.weightKg !== undefined) set.weightKg = changes.weightKg;
    if (changes.note !== undefined) set.note = changes.note;
    return set;
  }

  async deleteForUser(userId: string, setId: string): Promise<boolean> {
    return (await this.em.nativeDelete(WorkoutSet, { id: setId, userId })) > 0;
  }

  /** How many of the user's sets use the exercise. */
  countByExercise(userId: string, exerciseId: string): Promise<number> {
    return this.em.count(WorkoutSet, { exercise: exerciseId, userId });
  }

  deleteAllForUser(userId: string): Promise<number> {
    return this.em.nativeDelete(WorkoutSet, { userId });
  }
}

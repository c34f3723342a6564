import { type FilterQuery, LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Exercise } from '../entities/index.js';

export interface ListExercisesFilter {
  /** Already normalised with `nameKey`: matched as a substring of the name key. */
  q?: string;
  type?: string;
  onlyMine: boolean;
  limit: number;
  offset: number;
}

export interface UpdateExerciseFields {
  name?: string;
  nameKey?: string;
  type?: string;
  primaryMuscle?: string | null;
  isActive?: boolean;
}

/** LIKE pattern characters taken literally (Postgres' default escape character is the backslash). */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** What a user can see: the global exercises and their own. */
const visibleTo = (userId: string): FilterQuery<Exercise> => ({ $or: [{ ownerId: null }, { ownerId: userId }] });

/**
 * Exercises as one user sees them: every query takes the user's id; reads filter on "global or
 * own", writes on "own" only. Another user's exercise is never returned.
 */
export class ExerciseRepository {
  constructor(private readonly em: EntityManager) {}

  /** A global exercise or one of the user's own; null for anything else (another user's, or none). */
  findVisible(userId: string, exerciseId: string): Promise<Exercise | null> {
    return this.em.findOne(Exercise, { $and: [{ id: exerciseId }, visibleTo(userId)] });
  }

  /** Several exercises, each as seen by its own user (the DataLoader of WorkoutSet.exercise). */
  async findVisibleMany(keys: readonly { id: string; userId: string }[]): Promise<Exercise[]> {
    if (keys.length === 0) return [];
    const ids = [...new Set(keys.map((k) => k.id))];
    const users = [...new Set(keys.map((k) => k.userId))];
    return this.em.find(Exercise, { id: { $in: ids }, $or: [{ ownerId: null }, { ownerId: { $in: users } }] });
  }

  async list(userId: string, f: ListExercisesFilter): Promise<[Exercise[], number]> {
    const conditions: FilterQuery<Exercise>[] = [f.onlyMine ? { ownerId: userId } : visibleTo(userId)];
    if (f.q) conditions.push({ nameKey: { $like: `%${escapeLike(f.q)}%` } });
    if (f.type) conditions.push({ type: { $ilike: escapeLike(f.type) } });
    return this.em.findAndCount(
      Exercise,
      { $and: conditions },
      { orderBy: [{ nameKey: 'asc' }, { id: 'asc' }], limit: f.limit, offset: f.offset },
    );
  }

  /** A visible exercise (global or the user's own) with this name key, other than `exceptId`. */
  findVisibleByNameKey(userId: string, nameKey: string, exceptId?: string): Promise<Exercise | null> {
    return this.em.findOne(Exercise, { $and: [{ nameKey }, visibleTo(userId), ...(exceptId ? [{ id: { $ne: exceptId } }] : [])] });
  }

  async create(userId: string, data: { name: string; nameKey: string; type: string; primaryMuscle: string | null }): Promise<Exercise> {
    const exercise = this.em.create(Exercise, { ownerId: userId, ...data, isActive: true });
    await this.em.flush();
    return exercise;
  }

  /** One of the user's own exercises, row-locked for the rest of the transaction; null for a global or another user's. */
  findOwnedForUpdate(userId: string, exerciseId: string): Promise<Exercise | null> {
    return this.em.findOne(Exercise, { id: exerciseId, ownerId: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Applies the changes to an exercise loaded by `findOwnedForUpdate` (flushed with the caller's transaction). */
  applyChanges(exercise: Exercise, changes: UpdateExerciseFields): Exercise {
    if (changes.name !== undefined) exercise.name = changes.name;
    if (changes.nameKey !== undefined) exercise.nameKey = changes.nameKey;
    if (changes.type !== undefined) exercise.type = changes.type;
    if (changes.primaryMuscle !== undefined) exercise.primaryMuscle = changes.primaryMuscle;
    if (changes.isActive !== undefined) exercise.isActive = changes.isActive;
    return exercise;
  }

  async deleteOwned(userId: string, exerciseId: string): Promise<boolean> {
    return (await this.em.nativeDelete(Exercise, { id: exerciseId, ownerId: userId })) > 0;
  }

  /** Erasure: every exercise the user created. */
  deleteAllOwnedBy(userId: string): Promise<number> {
    return this.em.nativeDelete(Exercise, { ownerId: userId });
  }
}

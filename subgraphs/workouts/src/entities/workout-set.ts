import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { Exercise } from './exercise.js';
import { Workout } from './workout.js';

/** One set of a workout. `userId` repeats the workout's owner so every query can filter on it directly. */
export const WorkoutSet = defineEntity({
  name: 'WorkoutSet',
  tableName: 'workout_sets',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    /** The workout's id (deleting the workout deletes its sets, in the database too). */
    workout: p.manyToOne(Workout).mapToPk().deleteRule('cascade'),
    userId: p.uuid().index(),
    /** The exercise's id; an exercise still used by a set cannot be deleted. */
    exercise: p.manyToOne(Exercise).mapToPk().index(),
    /** Position in the workout: assigned 0, 1, 2, ... on insert and never renumbered. */
    setIndex: p.integer(),
    reps: p.integer(),
    weightKg: p.decimal('number').precision(8).scale(3).nullable(),
    note: p.string().length(1000).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['workout', 'setIndex'] }],
});
export type WorkoutSet = InferEntity<typeof WorkoutSet>;

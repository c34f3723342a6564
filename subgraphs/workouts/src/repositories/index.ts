import type { EntityManager } from '@mikro-orm/postgresql';
import { BodyMetricRepository } from './body-metric-repository.js';
import { ExerciseRepository } from './exercise-repository.js';
import { WorkoutRepository } from './workout-repository.js';
import { WorkoutSetRepository } from './workout-set-repository.js';

export { BodyMetricRepository, ExerciseRepository, WorkoutRepository, WorkoutSetRepository };

/** The repositories over one EntityManager (a fork, or a transaction's). */
export function repositories(em: EntityManager) {
  return {
    workouts: new WorkoutRepository(em),
    sets: new WorkoutSetRepository(em),
    exercises: new ExerciseRepository(em),
    bodyMetrics: new BodyMetricRepository(em),
  };
}

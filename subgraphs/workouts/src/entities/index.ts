import { BodyMetric } from './body-metric.js';
import { Exercise } from './exercise.js';
import { WorkoutSet } from './workout-set.js';
import { Workout } from './workout.js';

export { BodyMetric, Exercise, Workout, WorkoutSet };
export const entities = [Workout, WorkoutSet, Exercise, BodyMetric];

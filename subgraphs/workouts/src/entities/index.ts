import { defineOutboxMessage } from '@app/platform';
import { BodyMetric } from './body-metric.js';
import { Exercise } from './exercise.js';
import { Workout } from './workout.js';
import { WorkoutSet } from './workout-set.js';

export { BodyMetric, Exercise, Workout, WorkoutSet };
/** This service's outbox: its events, written in the transaction of the change they announce (see @app/platform). */
export const OutboxMessage = defineOutboxMessage();
export const entities = [Workout, WorkoutSet, Exercise, BodyMetric, OutboxMessage];

/**
 * The GraphQL operations the LINE conversation runs, in process through the gateway's own Apollo
 * Server as the LINE user (query planning, subgraph fetches with their token), exactly as the
 * REST facade does. Writes and the exercise list reuse the web's documents from the REST route
 * table, so LINE and the web cannot drift; reads the web has no route for are named Line*.
 */
import type { ApolloServer } from '@apollo/server';
import type { AuthContext, Logger } from '@app/platform/core';
import type { GatewayContext } from '../../../context.js';
import { appErrorFromGraphQL } from '../../rest/execute-route.js';
import { exerciseRoutes } from '../../rest/routes/exercises.js';
import { workoutRoutes } from '../../rest/routes/workouts.js';

export interface Operation {
  name: string;
  document: string;
}

function webOperation(name: string): Operation {
  const route = [...workoutRoutes, ...exerciseRoutes].find((r) => r.operation.name === name);
  if (!route) throw new Error(`the REST route table has no operation named ${name}`);
  return route.operation;
}

const SET_FIELDS = 'setIndex reps weightKg exercise { id name isGlobal }';

export const Operations = {
  createWorkout: webOperation('CreateWorkout'),
  endWorkout: webOperation('EndWorkout'),
  addWorkoutSet: webOperation('AddWorkoutSet'),
  exercises: webOperation('ListExercises'),
  exercise: webOperation('GetExercise'),
  // Lean for start and add_set (the commonest steps); with its sets where they are shown or used.
  ongoingWorkout: { name: 'LineOngoingWorkout', document: 'query LineOngoingWorkout { ongoingWorkout { id startedAt } }' },
  ongoingWorkoutSets: {
    name: 'LineOngoingWorkoutSets',
    document: `query LineOngoingWorkoutSets { ongoingWorkout { id startedAt sets { ${SET_FIELDS} } } }`,
  },
  // 20 workouts a day is plenty, and keeps the cost (20 x sets) under the gateway's complexity limit.
  todaysWorkouts: {
    name: 'LineTodaysWorkouts',
    document: `query LineTodaysWorkouts($from: DateTime, $to: DateTime) { workouts(from: $from, to: $to, limit: 20) { items { id startedAt sets { ${SET_FIELDS} } } } }`,
  },
} satisfies Record<string, Operation>;

export interface WorkoutSetView {
  setIndex: number;
  reps: number;
  weightKg: number | null;
  exercise: { id: string; name: string; isGlobal: boolean };
}
export interface ExerciseView {
  id: string;
  name: string;
  isActive: boolean;
  isGlobal: boolean;
}

/** Runs one operation as the caller; a GraphQL error becomes the AppError the REST facade would answer. */
// biome-ignore lint/suspicious/noExplicitAny: GraphQL data is shaped by each operation document; callers read the fields they asked for
export type RunOperation = (operation: Operation, variables?: Record<string, unknown>) => Promise<Record<string, any>>;

export function operationRunner(apollo: ApolloServer<GatewayContext>, auth: AuthContext, requestId: string, logger: Logger): RunOperation {
  return async (operation, variables = {}) => {
    const contextValue: GatewayContext = { auth, requestId, logger };
    const response = await apollo.executeOperation(
      { query: operation.document, operationName: operation.name, variables },
      { contextValue },
    );
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not used by the LINE facade');
    const { data, errors } = response.body.singleResult;
    if (errors?.length) throw appErrorFromGraphQL(errors[0]!);
    // biome-ignore lint/suspicious/noExplicitAny: as above: the operation decides the shape
    return data as Record<string, any>;
  };
}

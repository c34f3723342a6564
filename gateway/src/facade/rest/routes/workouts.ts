import { z } from 'zod';
import { defineRoute } from '../route.js';
import { dateTime, int, page, pagingQuery, periodQuery, uuid } from '../schemas.js';
import { EXERCISE_FIELDS, exercise } from './exercises.js';

const WORKOUT_FIELDS = 'id startedAt endedAt note createdAt updatedAt';
const SET_FIELDS = `id workoutId setIndex reps weightKg note exercise { ${EXERCISE_FIELDS} }`;

export const workout = z.object({
  id: z.uuid(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  note: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const workoutSet = z.object({
  id: z.uuid(),
  workoutId: z.uuid(),
  exerciseId: z.uuid(),
  exercise,
  setIndex: z.number().int(),
  reps: z.number().int(),
  weightKg: z.number().nullable(),
  note: z.string().nullable(),
});

/** REST adds `exerciseId` beside the nested exercise, as seed 002's clients expect. */
const toSet = (set: { exercise: { id: string } }) => ({ ...set, exerciseId: set.exercise.id });

const note = z.string().max(1000, 'note must be at most 1000 characters');
const workoutIdParams = z.object({ id: uuid('id') });

export const workoutRoutes = [
  defineRoute({
    method: 'POST',
    path: '/api/workouts',
    summary: 'Start a workout',
    tag: 'workouts',
    auth: 'required',
    body: z.strictObject({ startedAt: dateTime('startedAt'), note: note.nullish() }),
    operation: {
      name: 'CreateWorkout',
      document: `mutation CreateWorkout($input: CreateWorkoutInput!) { createWorkout(input: $input) { ${WORKOUT_FIELDS} } }`,
    },
    variables: ({ body }) => ({ input: body }),
    status: 201,
    result: (data) => data.createWorkout,
    response: workout,
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/workouts/:id',
    summary: 'Update a workout (absent fields stay; null clears endedAt or note)',
    tag: 'workouts',
    auth: 'required',
    params: workoutIdParams,
    body: z.strictObject({ startedAt: dateTime('startedAt').optional(), endedAt: dateTime('endedAt').nullish(), note: note.nullish() }),
    operation: {
      name: 'UpdateWorkout',
      document: `mutation UpdateWorkout($id: ID!, $input: UpdateWorkoutInput!) { updateWorkout(id: $id, input: $input) { ${WORKOUT_FIELDS} } }`,
    },
    variables: ({ params, body }) => ({ id: params.id, input: body }),
    status: 200,
    result: (data) => data.updateWorkout,
    response: workout,
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/workouts/:id/end',
    summary: 'End a workout (endedAt defaults to now)',
    tag: 'workouts',
    auth: 'required',
    params: workoutIdParams,
    body: z.strictObject({ endedAt: dateTime('endedAt').optional() }).optional(),
    operation: {
      name: 'EndWorkout',
      document: `mutation EndWorkout($id: ID!, $endedAt: DateTime) { endWorkout(id: $id, endedAt: $endedAt) { ${WORKOUT_FIELDS} } }`,
    },
    variables: ({ params, body }) => ({ id: params.id, endedAt: body?.endedAt }),
    status: 200,
    result: (data) => data.endWorkout,
    response: workout,
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/workouts/:id',
    summary: 'Delete a workout and its sets',
    tag: 'workouts',
    auth: 'required',
    params: workoutIdParams,
    operation: { name: 'DeleteWorkout', document: `mutation DeleteWorkout($id: ID!) { deleteWorkout(id: $id) }` },
    variables: ({ params }) => ({ id: params.id }),
    status: 204,
  }),
  defineRoute({
    method: 'GET',
    path: '/api/workouts',
    summary: "List the caller's workouts, newest first",
    tag: 'workouts',
    auth: 'required',
    query: z.strictObject({ ...periodQuery, ...pagingQuery }),
    operation: {
      name: 'ListWorkouts',
      document: `query ListWorkouts($from: DateTime, $to: DateTime, $limit: Int, $offset: Int) { workouts(from: $from, to: $to, limit: $limit, offset: $offset) { items { ${WORKOUT_FIELDS} } total limit offset } }`,
    },
    variables: ({ query }) => query,
    status: 200,
    result: (data) => data.workouts,
    response: page(workout),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/workouts/:id/detail',
    summary: 'A workout with its sets in order',
    tag: 'workouts',
    auth: 'required',
    params: workoutIdParams,
    operation: {
      name: 'WorkoutDetail',
      document: `query WorkoutDetail($id: ID!) { workout(id: $id) { ${WORKOUT_FIELDS} sets { ${SET_FIELDS} } } }`,
    },
    variables: ({ params }) => ({ id: params.id }),
    status: 200,
    result: (data) => {
      const { sets, ...rest } = data.workout;
      return { workout: rest, sets: sets.map(toSet) };
    },
    response: z.object({ workout, sets: z.array(workoutSet) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/workouts/:workoutId/sets',
    summary: 'Add a set to a workout',
    tag: 'workout sets',
    auth: 'required',
    params: z.object({ workoutId: uuid('workoutId') }),
    body: z.strictObject({
      exerciseId: uuid('exerciseId'),
      reps: int('reps'),
      weightKg: z.number().nullish(),
      note: note.nullish(),
    }),
    operation: {
      name: 'AddWorkoutSet',
      document: `mutation AddWorkoutSet($workoutId: ID!, $input: WorkoutSetCreateInput!) { addWorkoutSet(workoutId: $workoutId, input: $input) { ${SET_FIELDS} } }`,
    },
    variables: ({ params, body }) => ({ workoutId: params.workoutId, input: body }),
    status: 201,
    result: (data) => toSet(data.addWorkoutSet),
    response: workoutSet,
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/workout_sets/:setId',
    summary: 'Update a set',
    tag: 'workout sets',
    auth: 'required',
    params: z.object({ setId: uuid('setId') }),
    body: z.strictObject({
      exerciseId: uuid('exerciseId').optional(),
      reps: int('reps').optional(),
      weightKg: z.number().nullish(),
      note: note.nullish(),
    }),
    operation: {
      name: 'UpdateWorkoutSet',
      document: `mutation UpdateWorkoutSet($id: ID!, $input: WorkoutSetUpdateInput!) { updateWorkoutSet(id: $id, input: $input) { ${SET_FIELDS} } }`,
    },
    variables: ({ params, body }) => ({ id: params.setId, input: body }),
    status: 200,
    result: (data) => toSet(data.updateWorkoutSet),
    response: workoutSet,
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/workout_sets/:setId',
    summary: 'Delete a set',
    tag: 'workout sets',
    auth: 'required',
    params: z.object({ setId: uuid('setId') }),
    operation: { name: 'DeleteWorkoutSet', document: `mutation DeleteWorkoutSet($id: ID!) { deleteWorkoutSet(id: $id) }` },
    variables: ({ params }) => ({ id: params.setId }),
    status: 204,
  }),
];

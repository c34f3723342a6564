import { z } from 'zod';
import { defineRoute } from '../route.js';
import { booleanQuery, page, pagingQuery, uuid } from '../schemas.js';

export const EXERCISE_FIELDS = 'id name type primaryMuscle isActive isGlobal';
export const exercise = z.object({
  id: z.uuid(),
  name: z.string(),
  type: z.string(),
  primaryMuscle: z.string().nullable(),
  isActive: z.boolean(),
  isGlobal: z.boolean(),
});

const name = z.string().trim().min(1, 'name is required').max(100, 'name must be at most 100 characters');
const type = z.string().trim().min(1, 'type is required').max(50, 'type must be at most 50 characters');
const primaryMuscle = z.string().max(50, 'primaryMuscle must be at most 50 characters');
const idParams = z.object({ id: uuid('id') });

export const exerciseRoutes = [
  defineRoute({
    method: 'GET',
    path: '/api/exercises',
    summary: 'Exercises the caller can use: the global list and their own',
    tag: 'exercises',
    auth: 'required',
    query: z.strictObject({
      q: z.string().max(100).optional(),
      type: z.string().max(50).optional(),
      onlyMine: booleanQuery('onlyMine').optional(),
      ...pagingQuery,
    }),
    operation: {
      name: 'ListExercises',
      document: `query ListExercises($q: String, $type: String, $onlyMine: Boolean, $limit: Int, $offset: Int) { exercises(q: $q, type: $type, onlyMine: $onlyMine, limit: $limit, offset: $offset) { items { ${EXERCISE_FIELDS} } total limit offset } }`,
    },
    variables: ({ query }) => query,
    status: 200,
    result: (data) => data.exercises,
    response: page(exercise),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/exercises/:id',
    summary: 'One visible exercise',
    tag: 'exercises',
    auth: 'required',
    params: idParams,
    operation: { name: 'GetExercise', document: `query GetExercise($id: ID!) { exercise(id: $id) { ${EXERCISE_FIELDS} } }` },
    variables: ({ params }) => ({ id: params.id }),
    status: 200,
    result: (data) => data.exercise,
    response: exercise,
  }),
  defineRoute({
    method: 'POST',
    path: '/api/exercises',
    summary: 'Create an exercise of your own',
    tag: 'exercises',
    auth: 'required',
    body: z.strictObject({ name, type, primaryMuscle: primaryMuscle.nullish() }),
    operation: {
      name: 'CreateExercise',
      document: `mutation CreateExercise($input: CreateExerciseInput!) { createExercise(input: $input) { ${EXERCISE_FIELDS} } }`,
    },
    variables: ({ body }) => ({ input: body }),
    status: 201,
    result: (data) => data.createExercise,
    response: exercise,
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/exercises/:id',
    summary: 'Update an exercise of your own (global ones: 403)',
    tag: 'exercises',
    auth: 'required',
    params: idParams,
    body: z.strictObject({
      name: name.optional(),
      type: type.optional(),
      primaryMuscle: primaryMuscle.nullish(),
      isActive: z.boolean().optional(),
    }),
    operation: {
      name: 'UpdateExercise',
      document: `mutation UpdateExercise($id: ID!, $input: UpdateExerciseInput!) { updateExercise(id: $id, input: $input) { ${EXERCISE_FIELDS} } }`,
    },
    variables: ({ params, body }) => ({ id: params.id, input: body }),
    status: 200,
    result: (data) => data.updateExercise,
    response: exercise,
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/exercises/:id',
    summary: 'Delete an exercise of your own (global ones: 403)',
    tag: 'exercises',
    auth: 'required',
    params: idParams,
    operation: { name: 'DeleteExercise', document: `mutation DeleteExercise($id: ID!) { deleteExercise(id: $id) }` },
    variables: ({ params }) => ({ id: params.id }),
    status: 204,
  }),
];

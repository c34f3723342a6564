import { z } from 'zod';
import { defineRoute } from '../route.js';
import { dateTime, page, pagingQuery, periodQuery, uuid } from '../schemas.js';

const FIELDS = 'id measuredAt weightKg bodyFatPct note';
export const bodyMetric = z.object({
  id: z.uuid(),
  measuredAt: z.string(),
  weightKg: z.number(),
  bodyFatPct: z.number().nullable(),
  note: z.string().nullable(),
});
const note = z.string().max(1000, 'note must be at most 1000 characters');
const idParams = z.object({ id: uuid('id') });

export const bodyMetricRoutes = [
  defineRoute({
    method: 'GET',
    path: '/api/body_metrics',
    summary: "List the caller's body metrics, newest first",
    tag: 'body metrics',
    auth: 'required',
    query: z.strictObject({ ...periodQuery, ...pagingQuery }),
    operation: {
      name: 'ListBodyMetrics',
      document: `query ListBodyMetrics($from: DateTime, $to: DateTime, $limit: Int, $offset: Int) { bodyMetrics(from: $from, to: $to, limit: $limit, offset: $offset) { items { ${FIELDS} } total limit offset } }`,
    },
    variables: ({ query }) => query,
    status: 200,
    result: (data) => data.bodyMetrics,
    response: page(bodyMetric),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/body_metrics',
    summary: 'Record a body metric (weightKg > 0, bodyFatPct 0..100)',
    tag: 'body metrics',
    auth: 'required',
    body: z.strictObject({
      measuredAt: dateTime('measuredAt'),
      weightKg: z.number(),
      bodyFatPct: z.number().nullish(),
      note: note.nullish(),
    }),
    operation: {
      name: 'CreateBodyMetric',
      document: `mutation CreateBodyMetric($input: CreateBodyMetricInput!) { createBodyMetric(input: $input) { ${FIELDS} } }`,
    },
    variables: ({ body }) => ({ input: body }),
    status: 201,
    result: (data) => data.createBodyMetric,
    response: bodyMetric,
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/body_metrics/:id',
    summary: 'Update a body metric',
    tag: 'body metrics',
    auth: 'required',
    params: idParams,
    body: z.strictObject({
      measuredAt: dateTime('measuredAt').optional(),
      weightKg: z.number().optional(),
      bodyFatPct: z.number().nullish(),
      note: note.nullish(),
    }),
    operation: {
      name: 'UpdateBodyMetric',
      document: `mutation UpdateBodyMetric($id: ID!, $input: UpdateBodyMetricInput!) { updateBodyMetric(id: $id, input: $input) { ${FIELDS} } }`,
    },
    variables: ({ params, body }) => ({ id: params.id, input: body }),
    status: 200,
    result: (data) => data.updateBodyMetric,
    response: bodyMetric,
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/body_metrics/:id',
    summary: 'Delete a body metric',
    tag: 'body metrics',
    auth: 'required',
    params: idParams,
    operation: { name: 'DeleteBodyMetric', document: `mutation DeleteBodyMetric($id: ID!) { deleteBodyMetric(id: $id) }` },
    variables: ({ params }) => ({ id: params.id }),
    status: 204,
  }),
];

import type { ApolloServer } from '@apollo/server';
import { AppError, type AuthContext, ErrorCode, type FieldError, httpStatusOf, sendError, ValidationError } from '@app/platform/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { type GatewayContext, requestContext } from '../../context.js';
import type { ExecuteOperation, RestRoute, RouteInput } from './route.js';

function check<T>(schema: z.ZodType<T> | undefined, value: unknown, problems: FieldError[], part: 'params' | 'query' | 'body'): T {
  if (!schema) return value as T;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = issue.path.map(String);
    // An unknown field is reported under its own name (one entry per field), not as the whole object.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: [...path, key].join('.'), message: `Unrecognized key: "${key}"` });
      continue;
    }
    problems.push({ field: path.join('.') || part, message: issue.message });
  }
  return undefined as T;
}

const QUOTA_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/** Path, query and body are all checked before anything runs; every bad field is reported at once. */
export function validateInput(route: RestRoute, request: FastifyRequest): RouteInput {
  const problems: FieldError[] = [];
  const params = check(route.params, request.params, problems, 'params');
  const query = check(route.query, request.query, problems, 'query');
  const body = check(route.body, request.body, problems, 'body');
  if (problems.length) throw new ValidationError(problems);
  return { params, query, body, cookies: (request.cookies ?? {}) as Record<string, string | undefined> };
}

/** The validated input with the caller, once authenticated. */
export function withCaller(input: RouteInput, auth: AuthContext | undefined): RouteInput {
  return auth ? { ...input, userId: auth.userId } : input;
}

/** The REST status of a GraphQL error (seed 003's table); unknown codes are internal errors. */
export function appErrorFromGraphQL(error: { message: string; extensions?: Record<string, unknown> }): AppError {
  const code = String(error.extensions?.code ?? ErrorCode.INTERNAL_ERROR);
  if (code in httpStatusOf) {
    const { code: _code, timestamp: _ts, requestId: _rid, ...details } = error.extensions ?? {};
    return new AppError(code as ErrorCode, error.message, details);
  }
  if (code === 'GRAPHQL_VALIDATION_FAILED' || code === 'BAD_USER_INPUT') return new AppError(ErrorCode.VALIDATION_ERROR, error.message);
  return new AppError(ErrorCode.INTERNAL_ERROR, 'Internal server error');
}

/**
 * Runs a route's operation through the gateway's own Apollo Server (query planning, subgraph
 * fetches with the caller's token) in this process, and answers in REST terms.
 */
export async function executeRoute(
  apollo: ApolloServer<GatewayContext>,
  route: RestRoute,
  input: RouteInput,
  auth: AuthContext | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const run: ExecuteOperation = async (operation, variables, options) => {
    const contextValue = requestContext(request, options?.anonymous ? undefined : auth);
    const response = await apollo.executeOperation(
      { query: operation.document, operationName: operation.name, variables },
      { contextValue },
    );
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not used by REST routes');
    // Seed 004's routes describe their own per-user quota in the X-RateLimit-* headers (set by
    // the quota plugin on the operation's response; Apollo copies the context, so not there).
    for (const name of QUOTA_HEADERS) {
      const value = response.http.headers.get(name);
      if (value) reply.header(name, value);
    }
    const { data, errors } = response.body.singleResult;
    if (errors?.length) throw appErrorFromGraphQL(errors[0]);
    // biome-ignore lint/suspicious/noExplicitAny: GraphQL data is shaped by the route's operation document
    return data as Record<string, any>;
  };

  // biome-ignore lint/suspicious/noExplicitAny: as above
  let data: Record<string, any>;
  try {
    data = await run(route.operation, route.variables(input));
  } catch (err) {
    if (err instanceof AppError) return sendError(reply, request, err);
    throw err;
  }

  if (route.respond) {
    const answer = await route.respond(data, input, run);
    reply.code(answer.status).headers(answer.headers ?? {});
    if (answer.contentType) reply.type(answer.contentType);
    return reply.send(answer.body);
  }
  await route.after?.(data, reply, input);
  if (reply.sent) return reply;
  if (route.status === 204) return reply.code(204).send();
  if (route.status === 302) return reply;
  return reply.code(route.status).send(route.result ? route.result(data, input) : data);
}

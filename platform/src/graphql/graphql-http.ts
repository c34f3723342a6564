import type { OutgoingHttpHeaders } from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, retryAfterOf } from '../errors.js';

/** True when the client asked for (or accepts only) the legacy `application/json` response type. */
function wantsLegacyJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return !accept.includes('application/graphql-response+json');
}

/**
 * A GraphQL error response outside Apollo (bad token, rate limit, malformed JSON), shaped as
 * GraphQL clients expect. Statuses follow the GraphQL-over-HTTP spec: auth and rate-limit
 * failures keep their HTTP meaning; request errors are 200 under `application/json`.
 */
export function sendGraphQLError(request: FastifyRequest, reply: FastifyReply, err: AppError, httpStatus?: number) {
  const legacy = wantsLegacyJson(request.headers.accept);
  let status = httpStatus ?? err.httpStatus;
  if (httpStatus === undefined && err.code === ErrorCode.VALIDATION_ERROR) status = legacy ? 200 : 400;
  const retryAfter = retryAfterOf(err);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply
    .code(status)
    .type(legacy ? 'application/json; charset=utf-8' : 'application/graphql-response+json; charset=utf-8')
    .send({
      errors: [
        {
          message: err.message,
          extensions: { code: err.code, ...err.details, requestId: request.requestId, timestamp: new Date().toISOString() },
        },
      ],
    });
}

/**
 * True when a 400 body from Apollo is about the GraphQL request itself (parse, validation,
 * variable coercion) rather than a malformed HTTP request (missing body, non-string `query`,
 * CSRF refusal), which Apollo reports with code BAD_REQUEST.
 */
function isGraphQLRequestError(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] };
    return !!parsed.errors?.length && parsed.errors.every((e) => e.extensions?.code !== 'BAD_REQUEST');
  } catch {
    return false;
  }
}

/**
 * Runs Apollo Server behind Fastify (Apollo 5 ships no Fastify integration of its own).
 * One change to Apollo's defaults: GraphQL request errors (parse, validation, variables) of a
 * well-formed request answered with `application/json` get 200, as the GraphQL-over-HTTP spec
 * asks (Apollo answers 400 there). A malformed HTTP request (BAD_REQUEST) keeps its 400.
 */
export async function handleGraphQL<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  request: FastifyRequest,
  reply: FastifyReply,
  context: () => Promise<TContext>,
) {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const queryStart = request.url.indexOf('?');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: request.method.toUpperCase(),
      headers,
      search: queryStart >= 0 ? request.url.slice(queryStart) : '',
      body: request.body,
    },
    context,
  });

  let status = response.status ?? 200;
  const contentType = response.headers.get('content-type') ?? '';
  if (
    status === 400 &&
    contentType.startsWith('application/json') &&
    response.body.kind === 'complete' &&
    response.body.string.startsWith('{"errors"') &&
    isGraphQLRequestError(response.body.string)
  ) {
    status = 200;
  }
  for (const [key, value] of response.headers) reply.header(key, value);
  reply.code(status);
  if (response.body.kind === 'complete') return reply.send(response.body.string);

  // Incremental delivery (@defer): stream the chunks as Apollo produces them.
  reply.hijack();
  // With the headers every response carries (security, x-request-id): hijacked, Fastify sends none.
  reply.raw.writeHead(status, { ...(reply.getHeaders() as OutgoingHttpHeaders), ...Object.fromEntries(response.headers) });
  for await (const chunk of response.body.asyncIterator) reply.raw.write(chunk);
  reply.raw.end();
}

/** Registers the error handler that keeps /graphql's own failures (bad JSON, ...) GraphQL-shaped. */
export function graphqlRouteErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  // Errors raised before Apollo sees the request (the body is not JSON, ...) are transport
  // failures: they keep their HTTP status (400 for bad JSON) whatever the Accept header says.
  if (err instanceof AppError) return sendGraphQLError(request, reply, err, err.httpStatus);
  const status = (err as { statusCode?: number }).statusCode ?? 500;
  // Transport-level refusals (413 body too large, 415, ...) keep their status.
  if (status < 500) return sendGraphQLError(request, reply, new AppError(ErrorCode.VALIDATION_ERROR, (err as Error).message), status);
  request.log.error({ err }, 'GraphQL transport failure');
  return sendGraphQLError(request, reply, new AppError(ErrorCode.INTERNAL_ERROR, 'Internal server error'));
}

import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { AppError, DEFAULT_RETRY_AFTER_SECONDS, ErrorCode, isUnavailableError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

/** Codes clients may see as they are: ours plus the GraphQL-level ones Apollo produces. */
const PASSTHROUGH_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);
/** Extension keys that are safe to show; anything else (stacktrace, serviceName, exception) is dropped. */
const SAFE_EXTENSIONS = ['code', 'validationErrors', 'retryAfter', 'field', 'reason', 'requestId'];

/**
 * A subgraph that answered 502/503/504 (its own dependency down, its token check unable to ask
 * Redis): @apollo/gateway turns any non-2xx answer into an error with no code and
 * `extensions.response.status`, which must reach the client as the outage it is.
 */
function isUpstreamUnavailable(extensions: Record<string, unknown> | undefined): boolean {
  const status = (extensions?.response as { status?: unknown } | undefined)?.status;
  return status === 502 || status === 503 || status === 504;
}

function pick(extensions: Record<string, unknown> | undefined) {
  const out: Record<string, unknown> = {};
  for (const key of SAFE_EXTENSIONS) if (extensions?.[key] !== undefined) out[key] = extensions[key];
  return out;
}

/**
 * Apollo `formatError` for the gateway and every subgraph: domain errors keep their code and
 * details, dependency outages become SERVICE_UNAVAILABLE, and everything else is masked as
 * INTERNAL_ERROR (the details go to the log with the request id, never to the client).
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const timestamp = new Date().toISOString();
  const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    return { message: original.message, ...base, extensions: { code: original.code, ...original.details, timestamp } };
  }
  const code = String(formatted.extensions?.code ?? '');
  if (code === 'BAD_USER_INPUT') {
    // Variables that do not fit their declared types: a validation error like any other bad input.
    return {
      message: formatted.message,
      ...base,
      extensions: { code: ErrorCode.VALIDATION_ERROR, validationErrors: [{ field: 'variables', message: formatted.message }], timestamp },
    };
  }
  const httpStatus = (original as { extensions?: { http?: { status?: number } } } | undefined)?.extensions?.http?.status;
  if (httpStatus && httpStatus >= 400 && httpStatus < 500 && (!code || code === 'INTERNAL_SERVER_ERROR')) {
    // Apollo's own refusals of a malformed request (e.g. a persisted query whose hash does not
    // match) carry an HTTP 4xx but no code: they are the client's mistake, not an internal error.
    return { message: formatted.message, ...base, extensions: { code: 'BAD_REQUEST', timestamp } };
  }
  if (PASSTHROUGH_CODES.has(code) && code !== ErrorCode.INTERNAL_ERROR) {
    return { message: formatted.message, ...base, extensions: { ...pick(formatted.extensions), timestamp } };
  }
  if (isUnavailableError(original) || isUnavailableError({ message: formatted.message }) || isUpstreamUnavailable(formatted.extensions)) {
    return {
      message: 'Service temporarily unavailable',
      ...base,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfter: DEFAULT_RETRY_AFTER_SECONDS, timestamp },
    };
  }
  return { message: 'Internal server error', ...base, extensions: { code: ErrorCode.INTERNAL_ERROR, timestamp } };
}

export interface RequestScoped {
  requestId: string;
  logger: Logger;
}

/** Logs unexpected errors with their stack and request id, and stamps the request id on every error sent. */
export function errorReportingPlugin<TContext extends BaseContext & RequestScoped>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const err of errors) {
            const original = unwrapResolverError(err);
            if (original instanceof AppError) continue;
            const code = String(err.extensions?.code ?? '');
            if (PASSTHROUGH_CODES.has(code) || code === 'BAD_USER_INPUT') continue;
            // An outage, not a bug: the subgraph logged its own cause; a warning here.
            if (isUpstreamUnavailable(err.extensions) || isUnavailableError(original)) {
              contextValue.logger?.warn({ err: original ?? err, path: err.path }, 'a dependency was unavailable');
              continue;
            }
            contextValue.logger?.error({ err: original ?? err, path: err.path }, 'unexpected GraphQL error');
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors) return;
          response.body.singleResult.errors = errors.map((e) => ({
            ...e,
            extensions: { ...e.extensions, requestId: contextValue.requestId },
          }));
        },
      };
    },
  };
}

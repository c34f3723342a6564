import { AppError, formatGraphQLError } from '@app/platform/core';
import { type ExecutionResult, GraphQLError, type GraphQLFormattedError } from 'graphql';

/** A dependency of a check (Redis) failed, as opposed to the check saying no. */
export const isUnavailable = (err: unknown) => err instanceof AppError && err.code === 'SERVICE_UNAVAILABLE';

/** An error as Apollo answers it (already formatted and masked by `formatGraphQLError`): a plain object, not an Error. */
const isFormattedError = (err: unknown): err is GraphQLFormattedError =>
  !!err && typeof err === 'object' && !(err instanceof Error) && typeof (err as { message?: unknown }).message === 'string';

/** Any error thrown or answered on the socket, as the one masked error of a result. */
export function errorResult(err: unknown): ExecutionResult {
  const error =
    err instanceof GraphQLError
      ? err
      : err instanceof AppError
        ? new GraphQLError(err.message, { extensions: { ...err.details, code: err.code } })
        : isFormattedError(err)
          ? // From the supergraph (a subgraph down, a refusal): keep its code; formatGraphQLError keeps only safe extensions.
            new GraphQLError(err.message, { extensions: { ...err.extensions } })
          : new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_ERROR' } });
  // graphql-ws serialises result errors with toJSON(), so the masked error goes out as a GraphQLError.
  const formatted = formatGraphQLError({ message: error.message, extensions: error.extensions }, error);
  return { errors: [new GraphQLError(formatted.message, { extensions: formatted.extensions })] };
}

/** The errors of `errorResult`, for the places graphql-ws wants an array of errors. */
export const refusal = (err: unknown) => errorResult(err).errors as GraphQLError[];

/**
 * Production: no field or value suggestions ("Did you mean ...?") in messages, by Apollo's own
 * rule (ApolloServerPluginDisableSuggestions) for what hideSchemaDetailsFromClientErrors hides.
 */
export function suggestionsHider(hide: boolean): (message: string) => string {
  return hide ? (message) => message.replace(/ ?Did you mean(.+?)\?$/, '') : (message) => message;
}

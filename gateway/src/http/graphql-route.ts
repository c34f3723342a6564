import type { ApolloServer } from '@apollo/server';
import { AppError, type AuthContext, graphqlRouteErrorHandler, handleGraphQL, sendGraphQLError, ValidationError } from '@app/platform/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestGuard } from '../auth/request-guard.js';
import { type GatewayContext, requestContext } from '../context.js';

export interface GraphQLRouteOptions {
  apollo: ApolloServer<GatewayContext>;
  guard: RequestGuard;
  /** Operations one batched request may hold (`MAX_BATCH_SIZE`). */
  maxBatchSize: number;
}

/** `GET|POST /graphql`: guarded (auth, rate limit per operation of a batch), then Apollo. */
export function registerGraphQLRoute(app: FastifyInstance, { apollo, guard, maxBatchSize }: GraphQLRouteOptions) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    let auth: AuthContext | undefined;
    const batch = Array.isArray(request.body) ? request.body.length : 1;
    try {
      // Each operation of a batch is a request; a batch refused for its size costs one.
      auth = await guard(request, reply, batch > maxBatchSize ? 1 : batch);
      if (batch > maxBatchSize) {
        throw new ValidationError([{ field: 'body', message: `A batch may hold at most ${maxBatchSize} operations` }]);
      }
    } catch (err) {
      if (err instanceof AppError) return sendGraphQLError(request, reply, err);
      throw err;
    }
    return handleGraphQL(apollo, request, reply, async () => requestContext(request, auth));
  };
  app.route({ method: ['GET', 'POST'], url: '/graphql', handler, errorHandler: graphqlRouteErrorHandler });
}

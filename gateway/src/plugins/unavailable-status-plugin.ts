import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { DEFAULT_RETRY_AFTER_SECONDS } from '@app/platform/core';

/**
 * HTTP 503 with Retry-After when a response served nothing because a dependency failed: every
 * error is SERVICE_UNAVAILABLE and no root field has a value. A load balancer or client then sees
 * an outage (and when to retry), not a 200. A partial answer (one subgraph slow or down, the
 * others' fields present) stays 200 with its errors, as GraphQL over HTTP wants.
 */
export function unavailableStatusPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          if (!errors?.length || !errors.every((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
          if (data && Object.values(data).some((value) => value !== null && value !== undefined)) return;
          const retryAfter = Math.max(
            ...errors.map((e) => (typeof e.extensions?.retryAfter === 'number' ? e.extensions.retryAfter : DEFAULT_RETRY_AFTER_SECONDS)),
          );
          response.http.status = 503;
          response.http.headers.set('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
        },
      };
    },
  };
}

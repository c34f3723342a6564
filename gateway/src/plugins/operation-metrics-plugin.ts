import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Metrics } from '@app/platform/core';

/** Counts every operation by name, type and outcome (`graphql_operations_total`). */
export function operationMetricsPlugin<TContext extends BaseContext>(metrics: Metrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      let operation = 'anonymous';
      let type = 'unknown';
      return {
        async didResolveOperation({ operationName, operation: op }) {
          operation = operationName ?? 'anonymous';
          type = op?.operation ?? 'unknown';
        },
        async willSendResponse({ response }) {
          const failed = response.body.kind === 'single' && !!response.body.singleResult.errors?.length;
          metrics.graphqlOperations.inc({ operation, type, outcome: failed ? 'error' : 'ok' });
        },
      };
    },
  };
}

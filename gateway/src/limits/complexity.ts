import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { getNullableType, GraphQLError, isListType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimatorArgs } from 'graphql-query-complexity';

/** Assumed size of a list that takes no limit argument. */
const DEFAULT_LIST_SIZE = 10;

/**
 * Cost = 1 per field, times the page size for anything that returns many: a field with a
 * `limit`/`first` argument multiplies what is selected under it by that number (default 20,
 * the API's default page size); a list without one counts DEFAULT_LIST_SIZE. `items`/`edges` of
 * a page are already counted by the paginated field above them.
 */
export function estimateFieldCost({ field, args, childComplexity }: ComplexityEstimatorArgs): number {
  if (hasPageArgs(field)) {
    const pageSize = args.limit ?? args.first;
    return 1 + Math.max(1, Number(pageSize ?? 20)) * Math.max(1, childComplexity);
  }
  if (isListType(getNullableType(field.type)) && !isPageItems(field)) {
    return 1 + DEFAULT_LIST_SIZE * Math.max(1, childComplexity);
  }
  return 1 + childComplexity;
}

const hasPageArgs = (field: GraphQLField<unknown, unknown>) => field.args.some((a) => a.name === 'limit' || a.name === 'first');
// Fields named items/edges returning lists are the contents of a page whose size was counted above.
const isPageItems = (field: GraphQLField<unknown, unknown>) => (field.name === 'items' || field.name === 'edges') && isListType(getNullableType(field.type));

/** Refuses operations whose estimated cost exceeds `max` before any subgraph is called. */
export function complexityLimitPlugin<T extends BaseContext>(max: number): ApolloServerPlugin<T> {
  return {
    async requestDidStart({ schema }: { schema: GraphQLSchema }) {
      return {
        async didResolveOperation({ request, document }) {
          const cost = getComplexity({
            schema,
            query: document,
            operationName: request.operationName ?? undefined,
            variables: request.variables ?? {},
            estimators: [estimateFieldCost],
          });
          if (cost > max) {
            throw new GraphQLError(`Query is too complex: cost ${cost} exceeds the maximum of ${max}`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

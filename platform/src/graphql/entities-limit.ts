import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { type DocumentNode, GraphQLError, Kind, type ValueNode, visit } from 'graphql';

/** Representations in one `_entities` argument: a variable's list, or a list written in the document. */
function sizeOf(value: ValueNode | undefined, variables: Record<string, unknown>): number {
  if (!value) return 0;
  if (value.kind === Kind.VARIABLE) {
    const given = variables[value.name.value];
    return Array.isArray(given) ? given.length : given == null ? 0 : 1;
  }
  return value.kind === Kind.LIST ? value.values.length : 1;
}

/** Every `_entities` field of the document (aliased or in fragments), summed. */
export function countRepresentations(document: DocumentNode, variables: Record<string, unknown>): number {
  let total = 0;
  visit(document, {
    Field(node) {
      if (node.name.value !== '_entities') return;
      total += sizeOf(node.arguments?.find((a) => a.name.value === 'representations')?.value, variables);
    },
  });
  return total;
}

/**
 * Caps the entity representations a subgraph resolves for one request. Each one is a lookup with
 * its nested selection; without a cap one request of a few megabytes could ask for tens of
 * thousands. The gateway asks for each distinct entity once (forwarding-data-source.ts), so its
 * fetches stay far below (the deep benchmark query: 40 order lines, 4 distinct products).
 */
export function entitiesLimitPlugin<T extends BaseContext>(max: number): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const asked = countRepresentations(document, request.variables ?? {});
          if (asked > max) {
            throw new GraphQLError(`Too many entity representations: ${asked}, at most ${max} per request`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

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

/**
 * The `representations` arguments of a document's `_entities` fields, per document: Apollo hands
 * the same parsed document to every request that sends the same query, so the walk happens once
 * (it was ~2% of a subgraph's CPU per request) and only the variables' lengths are read each time.
 */
const representationArguments = new WeakMap<DocumentNode, (ValueNode | undefined)[]>();

function representationsOf(document: DocumentNode): (ValueNode | undefined)[] {
  let found = representationArguments.get(document);
  if (!found) {
    const values: (ValueNode | undefined)[] = [];
    visit(document, {
      Field(node) {
        if (node.name.value === '_entities') values.push(node.arguments?.find((a) => a.name.value === 'representations')?.value);
      },
    });
    representationArguments.set(document, (found = values));
  }
  return found;
}

/** Every `_entities` field of the document (aliased or in fragments), summed. */
export function countRepresentations(document: DocumentNode, variables: Record<string, unknown>): number {
  let total = 0;
  for (const value of representationsOf(document)) total += sizeOf(value, variables);
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

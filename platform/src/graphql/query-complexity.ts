import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isIntrospectionType,
  isLeafType,
  isListType,
  type ValueNode,
  visit,
} from 'graphql';
import { type ComplexityEstimatorArgs, getComplexity } from 'graphql-query-complexity';

/** Assumed size of a list that takes no limit argument. */
const DEFAULT_LIST_SIZE = 10;

/**
 * Cost = 1 per object fetched, times how many there may be: a field with a `limit`/`first`
 * argument multiplies what is selected under it by that number (default 20, the API's default
 * page size); a list without one counts DEFAULT_LIST_SIZE. `items`/`edges` of a page are already
 * counted by the paginated field above them. Scalars cost nothing on their own: they come with
 * the object that holds them (aliases and the token limit bound wide selections). A subgraph's
 * `_entities` costs what it is asked for: one resolution per representation.
 */
export function estimateFieldCost({ type, field, args, childComplexity }: ComplexityEstimatorArgs): number {
  if (field.name === '_entities' && Array.isArray(args.representations))
    return 1 + args.representations.length * Math.max(1, childComplexity);
  if (isLeafType(getNamedType(field.type))) return 0;
  // Introspection is answered from the schema in memory, no subgraph is called: each meta object
  // counts once, not times a list size, so an IDE's full introspection query fits. The cycles that
  // could make it costly (fields { type { fields ... } }) are refused by graphql-js's
  // MaxIntrospectionDepthRule, one of the validation rules every operation passes.
  if (isIntrospectionType(type) || field.name.startsWith('__')) return 1 + childComplexity;
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
const isPageItems = (field: GraphQLField<unknown, unknown>) =>
  (field.name === 'items' || field.name === 'edges') && isListType(getNullableType(field.type));

export const tooComplex = (detail: string) =>
  new GraphQLError(`Query is too complex: ${detail}`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });

/**
 * The operation's estimated cost, or the error that refuses it. Variables that do not fit their
 * types leave the estimate to execution, which reports them precisely (BAD_USER_INPUT ->
 * VALIDATION_ERROR). An operation too large for the estimator to walk (graphql-query-complexity
 * stops at 10,000 nodes: fragments spread inside fragments expand exponentially) is refused: its
 * cost is unknown, and not estimating it would let it through unchecked.
 */
export function checkComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  max: number,
): GraphQLError | undefined {
  const costInputs = costInputsOf(document);
  const key = `${max}|${operationName ?? ''}|${JSON.stringify(costInputs.map(([name, lengthOnly]) => (lengthOnly ? lengthOf(variables[name]) : variables[name])))}`;
  let bySchema = checked.get(schema);
  if (!bySchema) checked.set(schema, (bySchema = new WeakMap()));
  let outcomes = bySchema.get(document);
  if (outcomes?.has(key)) return outcomes.get(key) ?? undefined;
  const outcome = estimate(schema, document, operationName, variables, max);
  if (!outcomes || outcomes.size >= OUTCOMES_PER_DOCUMENT) {
    outcomes = new Map();
    bySchema.set(document, outcomes);
  }
  outcomes.set(key, outcome ?? null);
  return outcome;
}

/**
 * A document's cost is worked out once per set of the variable values it depends on: the page
 * sizes (`limit`, `first`), the number of `_entities` representations, and `@include`/`@skip`
 * conditions; every other variable (ids, inputs) cannot change it. Keyed by the parsed document,
 * which Apollo keeps per query text, so the work is done once per document (and such values).
 */
const checked = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, GraphQLError | null>>>();
const OUTCOMES_PER_DOCUMENT = 64;
const inputsOf = new WeakMap<DocumentNode, [name: string, lengthOnly: boolean][]>();
const COST_ARGUMENTS = new Set(['limit', 'first', 'representations']);

function costInputsOf(document: DocumentNode): [string, boolean][] {
  let inputs = inputsOf.get(document);
  if (inputs) return inputs;
  const found = new Map<string, boolean>();
  const collect = (value: ValueNode, lengthOnly: boolean) =>
    visit(value, {
      Variable: (node) => {
        found.set(node.name.value, lengthOnly && (found.get(node.name.value) ?? true));
      },
    });
  visit(document, {
    Argument: (node) => {
      if (COST_ARGUMENTS.has(node.name.value)) collect(node.value, node.name.value === 'representations');
    },
    Directive: (node) => {
      for (const argument of node.arguments ?? []) collect(argument.value, false);
      return false;
    },
    VariableDefinition: () => false,
  });
  inputs = [...found.entries()].sort(([a], [b]) => a.localeCompare(b));
  inputsOf.set(document, inputs);
  return inputs;
}

const lengthOf = (value: unknown) => (Array.isArray(value) ? value.length : value);

function estimate(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  max: number,
): GraphQLError | undefined {
  let cost: number;
  try {
    cost = getComplexity({ schema, query: document, operationName, variables, estimators: [estimateFieldCost] });
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    return /maximum allowed number of nodes/.test(err.message)
      ? tooComplex(`more selections than can be estimated; the maximum cost is ${max}`)
      : undefined;
  }
  return cost > max ? tooComplex(`cost ${cost} exceeds the maximum of ${max}`) : undefined;
}

/** Refuses operations whose estimated cost exceeds `max` before any resolver (or subgraph) is called. */
export function complexityLimitPlugin<T extends BaseContext>(max: number): ApolloServerPlugin<T> {
  return {
    async requestDidStart({ schema }) {
      return {
        async didResolveOperation({ request, document }) {
          const refusal = checkComplexity(schema, document, request.operationName ?? undefined, request.variables ?? {}, max);
          if (refusal) throw refusal;
        },
      };
    },
  };
}

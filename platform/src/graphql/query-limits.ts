import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { type ASTNode, GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import { z } from 'zod';

/** What one GraphQL operation may ask of a service: the gateway and every subgraph hold the same. */
export interface QueryLimits {
  depth: number;
  aliases: number;
  tokens: number;
  complexity: number;
  /** Directives in one operation, and on any one field or fragment. */
  directives: number;
  directivesPerField: number;
  /** Validation errors answered before the rest is summed up as one "too many". */
  errors: number;
}

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** The variables of the limits (README "Configuration"), shared by the gateway's and the subgraphs' settings. */
export const queryLimitsEnv = {
  MAX_DEPTH: count(10),
  MAX_COMPLEXITY: count(1000),
  MAX_ALIASES: count(30),
  MAX_TOKENS: count(5000),
  MAX_DIRECTIVES: count(50),
  MAX_DIRECTIVES_PER_FIELD: count(4),
  MAX_VALIDATION_ERRORS: count(10),
};
type LimitsConfig = z.infer<z.ZodObject<typeof queryLimitsEnv>>;

export const queryLimitsOf = (config: LimitsConfig): QueryLimits => ({
  depth: config.MAX_DEPTH,
  aliases: config.MAX_ALIASES,
  tokens: config.MAX_TOKENS,
  complexity: config.MAX_COMPLEXITY,
  directives: config.MAX_DIRECTIVES,
  directivesPerField: config.MAX_DIRECTIVES_PER_FIELD,
  errors: config.MAX_VALIDATION_ERRORS,
});

/**
 * graphql-armor's rules throw on rejection by default, and an exception thrown inside
 * validation reaches the client as a 500 INTERNAL_ERROR. Reporting it as a validation error
 * gives the client a 400 GRAPHQL_VALIDATION_FAILED instead (what graphql-armor's own
 * Apollo integration does).
 */
const reportRejection = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

/** One error per node that carries more directives than `max` (a repeated unknown directive is otherwise one error each). */
function maxDirectivesPerFieldRule(max: number): ValidationRule {
  const check = (context: ValidationContext) => (node: ASTNode & { directives?: readonly unknown[] }) => {
    const found = node.directives?.length ?? 0;
    if (found > max)
      context.reportError(new GraphQLError(`Too many directives in one place: found ${found}, at most ${max}.`, { nodes: [node] }));
  };
  return (context) => {
    const visit = check(context);
    return {
      Field: visit,
      InlineFragment: visit,
      FragmentSpread: visit,
      FragmentDefinition: visit,
      OperationDefinition: visit,
      VariableDefinition: visit,
    };
  };
}

/**
 * The validation rules of the limits (depth, aliases, directives); tokens, complexity and the
 * error count are applied where parsing, planning and validation happen (see queryLimitOptions).
 * Every alias counts, `__typename` too: 100 aliases of a meta field are 100 answers to build.
 * `flattenFragments`: count fields only. Subgraphs do, because the gateway's entity fetches wrap
 * the client's selection in `_entities { ... on T { … } }`; counting the fragment as a level
 * would make a subgraph refuse what the gateway has just allowed.
 */
export function queryLimitRules(limits: QueryLimits, { flattenFragments = false } = {}): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.depth, flattenFragments, ...reportRejection }),
    maxAliasesRule({ n: limits.aliases, allowList: [], ...reportRejection }),
    maxDirectivesRule({ n: limits.directives, ...reportRejection }),
    maxDirectivesPerFieldRule(limits.directivesPerField),
  ];
}

/** Apollo Server options for the limits that are not validation rules (tokens, error count). */
export function queryLimitOptions(limits: QueryLimits) {
  return {
    parseOptions: { maxTokens: limits.tokens },
    // graphql-js stops at this many errors and adds one "Too many validation errors" (default 100).
    validationOptions: { maxErrors: limits.errors },
  };
}

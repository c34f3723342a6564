import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DirectiveNode,
  type DocumentNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { GatewayConfig } from '../config.js';
import type { GatewayContext } from '../context.js';
import type { QuotaDecision, QuotaPolicy, QuotaStore } from './quota-store.js';

/** Seed 004 section 4: per-user limits of the relationship-map API. */
export interface Seed004Policies {
  /** GET /api/facebook/aggregate-signals: 10 per hour. */
  signals: QuotaPolicy;
  /** POST /api/map/generate: 100 per day. */
  generate: QuotaPolicy;
  /** Every other seed 004 route: 1000 per day, one counter for all of them. */
  other: QuotaPolicy;
}
export type QuotaPolicyKey = keyof Seed004Policies;

type QuotaLimits = Pick<GatewayConfig, 'RATE_LIMIT_SIGNALS_PER_HOUR' | 'RATE_LIMIT_MAP_GENERATE_PER_DAY' | 'RATE_LIMIT_MAP_OTHER_PER_DAY'>;

export function seed004Policies(config: QuotaLimits): Seed004Policies {
  return {
    signals: { name: 'seed004-signals', points: config.RATE_LIMIT_SIGNALS_PER_HOUR, durationSeconds: 3600 },
    generate: { name: 'seed004-generate', points: config.RATE_LIMIT_MAP_GENERATE_PER_DAY, durationSeconds: 86_400 },
    other: { name: 'seed004-other', points: config.RATE_LIMIT_MAP_OTHER_PER_DAY, durationSeconds: 86_400 },
  };
}

/**
 * The GraphQL root fields (Query and Mutation) behind seed 004's routes, and the policy each
 * counts against. `me` is absent on purpose: the whole platform uses it.
 */
export const QUOTA_FIELDS: Readonly<Record<string, QuotaPolicyKey>> = Object.freeze({
  aggregateSignals: 'signals',
  generateMap: 'generate',
  relationshipMap: 'other',
  observationTextTemplates: 'other',
  updateMapPreferences: 'other',
  connectFacebook: 'other',
  disconnectFacebook: 'other',
  deleteAllData: 'other',
  initializeUser: 'other',
  deleteMe: 'other',
});

/** The value of an `if:` argument, or undefined when it cannot be known here (then the field counts). */
function condition(value: ValueNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): boolean | undefined {
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind !== Kind.VARIABLE) return undefined;
  const name = value.name.value;
  if (Object.hasOwn(variables, name)) return typeof variables[name] === 'boolean' ? (variables[name] as boolean) : undefined;
  const fallback = operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue;
  return fallback?.kind === Kind.BOOLEAN ? fallback.value : undefined;
}

function included(
  directives: readonly DirectiveNode[] | undefined,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): boolean {
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = directive.arguments?.find((a) => a.name.value === 'if');
    const value = arg ? condition(arg.value, operation, variables) : undefined;
    if (value === undefined) continue;
    if ((name === 'skip' && value) || (name === 'include' && !value)) return false;
  }
  return true;
}

/**
 * The root fields an operation executes, as `responseKey -> field name`. Follows fragment
 * spreads and inline fragments at the root and honours @skip/@include, as graphql-js's
 * collectFields does. One entry per response key: two aliases are two executions, while the
 * same field selected twice under one key is merged by GraphQL and runs once. Introspection
 * fields are left out.
 */
export function rootFieldsOf(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  variables: Record<string, unknown> = {},
): Map<string, string> {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const fields = new Map<string, string>();
  const visited = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection.directives, operation, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (!selection.name.value.startsWith('__') && !fields.has(key)) fields.set(key, selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        // At the root a type condition can only name the root type itself (validation), so it always applies.
        collect(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (visited.has(name) || !fragment) continue;
        visited.add(name);
        collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  return fields;
}

const per = (seconds: number) => (seconds === 3600 ? 'hour' : seconds === 86_400 ? 'day' : `${seconds} seconds`);

/**
 * Shaped like RateLimitError once formatGraphQLError has passed it: code and retryAfter for the
 * client, HTTP 429 (Retry-After is set in willSendResponse, with the other quota headers).
 */
function rateLimitExceeded(policy: QuotaPolicy, decision: QuotaDecision, fields: string[]) {
  return new GraphQLError(`Rate limit exceeded: ${policy.points} requests per ${per(policy.durationSeconds)} for ${fields.join(', ')}`, {
    extensions: { code: 'RATE_LIMIT_EXCEEDED', retryAfter: decision.retryAfter, http: { status: 429 } },
  });
}

function unavailable(err: unknown) {
  const message = err instanceof Error ? err.message : 'Rate limit could not be checked';
  return new GraphQLError(message, { originalError: err as Error, extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } });
}

/** The decision closest to refusing: least of its limit left. */
const tightest = (decisions: QuotaDecision[]) => decisions.reduce((a, b) => (b.remaining / b.limit < a.remaining / a.limit ? b : a));

/**
 * Counts seed 004's operations against their per-user quotas before anything is fetched, and
 * refuses one that would go over (RATE_LIMIT_EXCEEDED, HTTP 429 + Retry-After). Only signed-in
 * calls count: anonymous ones are refused UNAUTHENTICATED by the subgraph anyway.
 *
 * Policies are charged one after the other, fewest points first; at the first refusal the
 * points already taken from the others are refunded, so a refused operation costs nothing and
 * no policy can be exceeded (each charge is an atomic increment checked against its own limit).
 * If the quota store is down the operation is refused SERVICE_UNAVAILABLE (fail closed).
 *
 * Sets `contextValue.quota` (the tightest decision) and, on every response, X-RateLimit-* headers
 * describing it, which override the general per-minute limit's headers for these operations.
 */
export function seed004QuotaPlugin(store: QuotaStore, policies: Seed004Policies): ApolloServerPlugin<GatewayContext> {
  const order = (Object.keys(policies) as QuotaPolicyKey[]).sort((a, b) => policies[a].points - policies[b].points);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, contextValue }) {
          const userId = contextValue.auth?.userId;
          if (!userId || !operation || operation.operation === 'subscription') return;
          const fieldsOf = new Map<QuotaPolicyKey, string[]>();
          for (const field of rootFieldsOf(operation, document, request.variables ?? {}).values()) {
            if (!Object.hasOwn(QUOTA_FIELDS, field)) continue;
            const key = QUOTA_FIELDS[field];
            fieldsOf.set(key, [...(fieldsOf.get(key) ?? []), field]);
          }
          const taken: { policy: QuotaPolicy; decision: QuotaDecision; points: number }[] = [];
          const giveBack = () =>
            Promise.all(
              taken.map(({ policy, decision, points }) =>
                // A refund that fails leaves the points taken: the strict side.
                store
                  .refund(policy, userId, decision, points)
                  .catch((err) => contextValue.logger?.warn({ err: (err as Error).message }, 'quota refund failed')),
              ),
            );
          for (const key of order.filter((k) => fieldsOf.has(k))) {
            const policy = policies[key];
            const fields = fieldsOf.get(key)!;
            let decision: QuotaDecision;
            try {
              decision = await store.consume(policy, userId, fields.length);
            } catch (err) {
              await giveBack();
              throw unavailable(err);
            }
            if (!decision.allowed) {
              await giveBack();
              contextValue.quota = decision;
              throw rateLimitExceeded(policy, decision, [...new Set(fields)]);
            }
            taken.push({ policy, decision, points: fields.length });
          }
          if (taken.length) contextValue.quota = tightest(taken.map((t) => t.decision));
        },

        async willSendResponse({ response, contextValue }) {
          const quota = contextValue.quota;
          if (!quota) return;
          // Over HTTP, handleGraphQL copies these onto the reply after the guard set the general
          // limit's, so these win; executeOperation callers (the REST facade) find them on response.http.
          response.http.headers.set('x-ratelimit-limit', String(quota.limit));
          response.http.headers.set('x-ratelimit-remaining', String(quota.remaining));
          response.http.headers.set('x-ratelimit-reset', String(quota.reset));
          if (!quota.allowed) response.http.headers.set('retry-after', String(quota.retryAfter));
        },
      };
    },
  };
}

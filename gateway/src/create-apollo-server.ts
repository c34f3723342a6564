import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  type Cache,
  complexityLimitPlugin,
  errorReportingPlugin,
  formatGraphQLError,
  hashWithoutRequire,
  type Logger,
  type Metrics,
  type QueryLimits,
  queryLimitOptions,
} from '@app/platform/core';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import { apolloServerPatched } from './apollo-server-patch.js';
import { ApqCache } from './apq-cache.js';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { ForwardingDataSource } from './forwarding-data-source.js';
import { graphiqlLandingPage } from './ide/register-graphiql.js';
import { operationMetricsPlugin } from './plugins/operation-metrics-plugin.js';
import { unavailableStatusPlugin } from './plugins/unavailable-status-plugin.js';
import type { PublicAnswerCache } from './public-answer-cache.js';
import { reuseOperations } from './reuse-operations.js';
import type { SharedEntitySelection } from './shared-entity-selection.js';
import { SubgraphClient } from './subgraph-client.js';

export interface ApolloServerOptions {
  config: GatewayConfig;
  supergraphSdl: string;
  /** Where each subgraph is reached (the supergraph's URLs with SUBGRAPH_<NAME>_URL applied). */
  subgraphs: { name: string; url: string }[];
  logger: Logger;
  metrics: Metrics;
  /** Shared with the other replicas: APQ documents live here. */
  cache: Cache;
  /** The same limits as every subgraph's (platform/src/graphql/query-limits.ts). */
  limits: QueryLimits;
  /** `queryLimitRules(limits)`, shared with the subscription server. */
  validationRules: ValidationRule[];
  /** Seed 004's per-user quotas (seed004QuotaPlugin). */
  quotaPlugin: ApolloServerPlugin<GatewayContext>;
  /** What shared-read subgraphs answered (none when PUBLIC_ANSWER_CACHE_SECONDS is 0). */
  publicAnswers?: PublicAnswerCache;
  /** Auth's account entities that every signed-in caller sees alike, kept; none when off. */
  accountAnswers?: { cache: PublicAnswerCache; selection: SharedEntitySelection };
}

export interface GatewayApollo {
  apollo: ApolloServer<GatewayContext>;
  /** The API schema once loaded: it keeps the Subscription type the subgraphs declare, for graphql-ws. */
  apiSchema: () => GraphQLSchema | undefined;
  /** Closes the pooled connections to the subgraphs (after Apollo stopped). */
  closeSubgraphClients: () => Promise<void>;
}

/** The gateway's Apollo Server over the supergraph (not started). */
export function createApolloServer({
  config,
  supergraphSdl,
  subgraphs,
  logger,
  metrics,
  cache,
  limits,
  validationRules,
  quotaPlugin,
  publicAnswers,
  accountAnswers,
}: ApolloServerOptions): GatewayApollo {
  const production = config.NODE_ENV === 'production';
  // Built once per document, like the plan (see reuse-operations.ts); the gateway works the same without.
  if (!reuseOperations()) logger.warn('@apollo/federation-internals changed: the federation Operation is built on every request');
  // Apollo Server's query hash and the gateway's plan key, both per request (hash-without-require.ts).
  if (hashWithoutRequire(['@apollo/server', '@apollo/gateway'], import.meta.url) < 2)
    logger.warn('@apollo/utils.createhash not found where expected: each request hash looks crypto up again');
  if (!apolloServerPatched())
    logger.warn(
      'patches/@apollo+server+5.5.1.patch is not applied (npm install applies it): every request outlives the young-generation GC',
    );
  const introspection = config.GRAPHQL_INTROSPECTION ? config.GRAPHQL_INTROSPECTION === 'true' : !production;
  const urlOf = new Map(subgraphs.map((s) => [s.name, s.url]));
  const clients: SubgraphClient[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) => {
      const client = new SubgraphClient(urlOf.get(name) ?? url!, {
        timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
        connections: config.SUBGRAPH_CONNECTIONS,
      });
      clients.push(client);
      return new ForwardingDataSource({
        url: client.url,
        client,
        internalApiKey: name === 'auth' ? config.INTERNAL_API_KEY : undefined,
        sharedReads: config.SHARED_READ_SUBGRAPHS.includes(name),
        answers: config.SHARED_READ_SUBGRAPHS.includes(name) ? publicAnswers : undefined,
        ...(name === 'auth' && accountAnswers ? { signedInShared: accountAnswers.selection, signedInAnswers: accountAnswers.cache } : {}),
      });
    },
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => {
    apiSchema = loaded;
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: formatGraphQLError,
    includeStacktraceInErrorResponses: false,
    introspection,
    hideSchemaDetailsFromClientErrors: production,
    // Our onShutdown owns SIGTERM/SIGINT. Apollo's own handlers (on outside NODE_ENV=test) stop the
    // server, then re-raise the signal: the process died before its pools, bus and outbox stopped.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    // Batches of at most MAX_BATCH_SIZE (checked by the /graphql route), each operation counted by the rate limiter.
    allowBatchedHttpRequests: true,
    ...queryLimitOptions(limits),
    validationRules,
    persistedQueries: { cache: new ApqCache(cache), ttl: 86_400 },
    plugins: [
      errorReportingPlugin<GatewayContext>(),
      complexityLimitPlugin<GatewayContext>(limits.complexity),
      quotaPlugin,
      operationMetricsPlugin<GatewayContext>(metrics),
      unavailableStatusPlugin<GatewayContext>(),
      // A browser's GET /graphql leads to /graphiql (Apollo's own page needs its CDN); none in production.
      graphiqlLandingPage({ enabled: !production }),
    ],
  });
  return { apollo, apiSchema: () => apiSchema, closeSubgraphClients: () => Promise.all(clients.map((c) => c.close())).then(() => {}) };
}

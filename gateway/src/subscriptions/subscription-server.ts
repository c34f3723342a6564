import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { EventBus } from '@app/events';
import { formatGraphQLError, type Logger, type Metrics, type TokenVerifier } from '@app/platform/core';
import type { ExecutionArgs, GraphQLSchema, ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Gauge } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { GatewayContext } from '../context.js';
import type { RateLimiter } from '../rate-limiter.js';
import { CallerIndependence } from './caller-independence.js';
import { connectionGuard, extraOf } from './connection-guard.js';
import { suggestionsHider } from './error-result.js';
import { Fanout } from './fanout.js';
import { operationChecks } from './operation-checks.js';
import { SharedExecution } from './shared-execution.js';
import { subscriber } from './subscribe.js';

export interface SubscriptionServerOptions {
  /** The gateway's HTTP server: WebSocket upgrades on `path` are served here. */
  httpServer: Server;
  path?: string;
  apollo: ApolloServer<GatewayContext>;
  /** The supergraph's API schema (it keeps the Subscription type the subgraphs declare). */
  schema: () => GraphQLSchema | undefined;
  verifier: TokenVerifier;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
  /** Extra validation (depth, aliases) applied to subscription documents as to any other. */
  validationRules: ValidationRule[];
  /** How long a client may take to send connection_init. Default 3000 ms. */
  connectionInitWaitTimeout?: number;
  /** Token limit of a document, as over HTTP (`MAX_TOKENS`). Default 5000. */
  maxTokens?: number;
  /** Cost limit of a subscription document, estimated as over HTTP (`MAX_COMPLEXITY`). Default 1000. */
  maxComplexity?: number;
  /** Validation errors answered before one "too many" (`MAX_VALIDATION_ERRORS`), as over HTTP. Default 10. */
  maxValidationErrors?: number;
  /** Largest WebSocket message in bytes (`WS_MAX_PAYLOAD`); a larger one closes the socket with 1009. Default 1 MiB. */
  maxPayload?: number;
  /** Operations (subscriptions, queries, mutations) in flight on one socket (`WS_MAX_OPERATIONS`). Default 100. */
  maxOperationsPerConnection?: number;
  /** Open sockets per client address (`WS_MAX_CONNECTIONS_PER_IP`); more are closed with 1013. Default 500. */
  maxConnectionsPerIp?: number;
  /** The gateway's rate limiter: every operation sent over a socket counts as one request, as over HTTP. */
  rateLimiter?: RateLimiter;
  /** Results of one subscription waiting for a client that reads slowly (`WS_MAX_BUFFERED`); past it the subscription is ended with an error. Default 1000. */
  maxBuffered?: number;
  /** Proxies of ours in front (`TRUST_PROXY_HOPS`): the client address is that many entries from the right of X-Forwarded-For. */
  trustProxyHops?: number;
  /** Production: no field or value suggestions ("Did you mean ...?") in errors, as Apollo does over HTTP. */
  hideSchemaDetails?: boolean;
  /**
   * The supergraph the gateway serves: which selections answer the same whoever asks is read
   * from it (caller-independence.ts). Without it, an event's resolution is shared per identity only.
   */
  supergraphSdl?: string;
}

/**
 * GraphQL subscriptions over graphql-ws on the gateway's /graphql, which `@apollo/gateway` cannot
 * execute itself. A subscription follows a fan-out subject on NATS (every replica hears every
 * event); each event names an entity, and the client's selection for it is resolved through the
 * supergraph with the subscriber's own token, so it may select fields of any subgraph. Queries
 * and mutations sent over the socket run through Apollo as over HTTP.
 *
 * The parts: connection-guard (who may hold a socket), operation-checks (what may start),
 * shared-execution (running through the supergraph, once per event for all whose answer is the
 * same: caller-independence), subscribe (following the events).
 */
export function startSubscriptionServer(options: SubscriptionServerOptions) {
  const { logger } = options;
  const fanout = new Fanout(options.bus);
  const active = new Gauge({
    name: 'graphql_subscriptions_active',
    help: 'Live GraphQL subscriptions',
    labelNames: ['field'],
    registers: [options.metrics.registry],
  });
  const hideDetails = suggestionsHider(options.hideSchemaDetails ?? false);
  // ws would otherwise take messages of up to 100 MiB (a connection_init included) and buffer each whole.
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path ?? '/graphql',
    maxPayload: options.maxPayload ?? 1024 * 1024,
  });
  const guard = connectionGuard(wss, {
    verifier: options.verifier,
    rateLimiter: options.rateLimiter,
    trustProxyHops: options.trustProxyHops ?? 0,
    maxConnectionsPerIp: options.maxConnectionsPerIp ?? 500,
  });
  const checkOperation = operationChecks({
    schema: options.schema,
    rateLimiter: options.rateLimiter,
    validationRules: options.validationRules,
    maxOperations: options.maxOperationsPerConnection ?? 100,
    maxTokens: options.maxTokens ?? 5_000,
    maxComplexity: options.maxComplexity ?? 1000,
    maxValidationErrors: options.maxValidationErrors ?? 10,
    hideDetails,
  });
  const execution = new SharedExecution({
    apollo: options.apollo,
    verifier: options.verifier,
    logger,
    schema: options.schema,
    independence: options.supergraphSdl ? CallerIndependence.fromSupergraph(options.supergraphSdl) : undefined,
  });
  const subscribe = subscriber({ fanout, execution, active, maxBuffered: options.maxBuffered ?? 1000, hideDetails, logger });

  const serverDisposable = useServer<Record<string, unknown>>(
    {
      connectionInitWaitTimeout: options.connectionInitWaitTimeout ?? 3_000,
      // An unexpected error closes the socket with 4500 "Internal server error", never its message (as over HTTP, in every environment).
      isProd: true,
      schema: () => {
        const schema = options.schema();
        if (!schema) throw new Error('supergraph not loaded');
        return schema;
      },
      onConnect: (ctx) => guard.onConnect(ctx),
      async onSubscribe(ctx, _id, payload) {
        return (await guard.recheck(extraOf(ctx))) ?? checkOperation(ctx, payload);
      },
      execute: (args: ExecutionArgs) => execution.executeOperation(args),
      subscribe: (args: ExecutionArgs) => subscribe(args),
      onError(_ctx, _id, _payload, errors) {
        return errors.map((e) => formatGraphQLError(e.toJSON?.() ?? { message: e.message }, e));
      },
    },
    wss,
  );

  return {
    async close() {
      await serverDisposable.dispose();
      await fanout.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

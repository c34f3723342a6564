import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { EventBus, FanoutSubject, PayloadOf, Subscription as BusSubscription } from '@app/events';
import { AppError, checkComplexity, clientAddress, formatGraphQLError, isAdmin, RateLimitError, ServiceUnavailableError, type AuthContext, type Logger, type Metrics, type TokenVerifier } from '@app/platform';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values.js';
import { print } from 'graphql';
import { Gauge } from 'prom-client';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RateLimiter } from '../rate-limiter.js';
import type { GatewayContext } from '../server.js';
import { Channel } from './channel.js';
import { liveTopics, type TopicHandler } from './live-topics.js';
import { collectFields, fragmentsOf } from './selection.js';

/** A dependency of the check (Redis) failed, as opposed to the check saying no. */
const isUnavailable = (err: unknown) => err instanceof AppError && err.code === 'SERVICE_UNAVAILABLE';

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
}

interface ConnectionExtra {
  auth?: AuthContext;
  requestId: string;
  ip: string;
  socket: WebSocket;
  request: IncomingMessage;
}

/** The client's address, as the HTTP side computes it (Fastify with the same trusted hops). */
const clientIp = (request: IncomingMessage, hops: number) => clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], hops);

type Listener = (data: unknown) => void;

/** Events of one subscription waiting for their resolution (a slow or hanging subgraph); past this the subscription is ended. */
const MAX_PENDING_EVENTS = 1_000;



/** One bus listener per subject for the whole gateway, dispatching to every live subscription. */
class Fanout {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly subscriptions = new Map<string, Promise<BusSubscription>>();
  constructor(private readonly bus: EventBus) {}

  async add(subject: FanoutSubject, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(subject);
    if (!set) {
      const listeners = new Set<Listener>();
      set = listeners;
      this.listeners.set(subject, listeners);
      const subscribing = this.bus.onBroadcast(subject, async (event) => {
        for (const l of listeners) l(event.data);
      });
      this.subscriptions.set(subject, subscribing);
      // The bus could not subscribe (NATS unreachable for a moment): forget the attempt, so the
      // next subscriber tries again instead of meeting the same failure until a restart.
      subscribing.catch(() => {
        if (this.subscriptions.get(subject) !== subscribing) return;
        this.subscriptions.delete(subject);
        this.listeners.delete(subject);
      });
    }
    await this.subscriptions.get(subject);
    set.add(listener);
    return () => set!.delete(listener);
  }

  async close() {
    for (const sub of this.subscriptions.values()) await (await sub.catch(() => null))?.unsubscribe();
    this.subscriptions.clear();
    this.listeners.clear();
  }
}

/** `connection_init` payload `{ authorization: "Bearer <JWT>" }`, the key matched case-insensitively. */
function tokenFrom(params: Record<string, unknown> | undefined): string | undefined | null {
  if (!params) return undefined;
  const key = Object.keys(params).find((k) => k.toLowerCase() === 'authorization');
  if (!key) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(String(params[key] ?? ''));
  return match ? match[1] : null;
}

/** An error as Apollo answers it (already formatted and masked by `formatGraphQLError`): a plain object, not an Error. */
const isFormattedError = (err: unknown): err is GraphQLFormattedError =>
  !!err && typeof err === 'object' && !(err instanceof Error) && typeof (err as { message?: unknown }).message === 'string';

const asFormatted = (err: unknown): ExecutionResult => {
  const error =
    err instanceof GraphQLError
      ? err
      : err instanceof AppError
        ? new GraphQLError(err.message, { extensions: { ...err.details, code: err.code } })
        : isFormattedError(err)
          ? // From the supergraph (a subgraph down, a refusal): keep its code; formatGraphQLError keeps only safe extensions.
            new GraphQLError(err.message, { extensions: { ...err.extensions } })
          : new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_ERROR' } });
  // graphql-ws serialises result errors with toJSON(), so the masked error goes out as a GraphQLError.
  const formatted = formatGraphQLError({ message: error.message, extensions: error.extensions }, error);
  return { errors: [new GraphQLError(formatted.message, { extensions: formatted.extensions })] };
};

/**
 * GraphQL subscriptions over graphql-ws on the gateway's /graphql, which `@apollo/gateway` cannot
 * execute itself. A subscription follows a fan-out subject on NATS (every replica hears every
 * event); each event names an entity, and the client's selection for it is resolved through the
 * supergraph with the subscriber's own token, so it may select fields of any subgraph. Queries
 * and mutations sent over the socket run through Apollo as over HTTP.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions) {
  const { apollo, verifier, logger } = options;
  const fanout = new Fanout(options.bus);
  const active = new Gauge({ name: 'graphql_subscriptions_active', help: 'Live GraphQL subscriptions', labelNames: ['field'], registers: [options.metrics.registry] });
  const maxOperations = options.maxOperationsPerConnection ?? 100;
  const maxConnectionsPerIp = options.maxConnectionsPerIp ?? 500;
  const maxComplexity = options.maxComplexity ?? 1000;
  const maxBuffered = options.maxBuffered ?? 1000;
  // Apollo's own rule (ApolloServerPluginDisableSuggestions) for what hideSchemaDetailsFromClientErrors hides.
  const hideDetails = (message: string) => (options.hideSchemaDetails ? message.replace(/ ?Did you mean(.+?)\?$/, '') : message);
  // ws would otherwise take messages of up to 100 MiB (a connection_init included) and buffer each whole.
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql', maxPayload: options.maxPayload ?? 1024 * 1024 });

  // Open sockets per client address: past the limit a socket is closed at once ("try again later").
  const socketsPerIp = new Map<string, number>();
  wss.on('connection', (socket, request) => {
    const ip = clientIp(request, options.trustProxyHops ?? 0);
    const open = (socketsPerIp.get(ip) ?? 0) + 1;
    socketsPerIp.set(ip, open);
    socket.once('close', () => {
      const left = (socketsPerIp.get(ip) ?? 1) - 1;
      if (left > 0) socketsPerIp.set(ip, left);
      else socketsPerIp.delete(ip);
    });
    if (open > maxConnectionsPerIp) socket.close(1013, 'Too many connections');
  });

  const execute = async (auth: AuthContext | undefined, requestId: string, query: string, variables: Record<string, unknown>) => {
    const response = await apollo.executeOperation({ query, variables }, { contextValue: { auth, requestId, logger } });
    if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
    return response.body.singleResult as ExecutionResult;
  };
  // Per fan-out event (every listener gets the same object): one token check per token, and one
  // execution per identity and query.
  const checked = new WeakMap<object, Map<string, Promise<unknown>>>();
  const verifyFor = (event: object, token: string) => {
    let checks = checked.get(event);
    if (!checks) checked.set(event, (checks = new Map()));
    let check = checks.get(token);
    if (!check) checks.set(token, (check = verifier.verify(token)));
    return check;
  };
  const shared = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
  const run = (auth: AuthContext | undefined, requestId: string) => async (query: string, variables: Record<string, unknown>, event?: object) => {
    if (!event) return execute(auth, requestId, query, variables);
    let executions = shared.get(event);
    if (!executions) shared.set(event, (executions = new Map()));
    const key = JSON.stringify([auth?.userId ?? null, auth?.scopes ?? null, query, variables]);
    let execution = executions.get(key);
    if (!execution) executions.set(key, (execution = execute(auth, requestId, query, variables)));
    // Topics lay the event over `data`: each subscriber gets its own copy (errors are only read).
    const result = await execution;
    return result.data ? { ...result, data: structuredClone(result.data) } : result;
  };

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
      async onConnect(ctx) {
        const extra = ctx.extra as unknown as ConnectionExtra;
        extra.requestId = crypto.randomUUID();
        extra.ip = clientIp(extra.request, options.trustProxyHops ?? 0);
        const token = tokenFrom(ctx.connectionParams);
        if (token === undefined) return true; // anonymous: public subscriptions only
        if (token === null) return false; // 4403 Forbidden
        try {
          try {
            extra.auth = await verifier.verify(token);
          } catch (err) {
            if (isUnavailable(err)) throw err;
            // A refused token counts against the address, as over HTTP (guessing tokens is throttled).
            await options.rateLimiter?.check({ ip: extra.ip });
            return false;
          }
          // Opening a socket counts as a request too (anonymous ones are bounded per address above).
          if (options.rateLimiter && !(await options.rateLimiter.check({ userId: extra.auth.userId, ip: extra.ip })).allowed) {
            extra.socket.close(4429, 'Too many requests');
            return false;
          }
        } catch (err) {
          if (!isUnavailable(err)) throw err;
          // The revocation list or the limiter cannot be asked: 1013 "Try Again Later" (RFC 6455), not a refusal of the token.
          extra.socket.close(1013, 'Service temporarily unavailable; try again later');
          return false;
        }
        // The socket lives no longer than its token: at expiry it is closed with 4403 (its streams
        // end even when no event comes); the client reconnects with a fresh token.
        const socket = extra.socket;
        const timer = setTimeout(() => socket.close(4403, 'Forbidden: token expired'), Math.min(Math.max(0, extra.auth.expiresAt * 1000 - Date.now()), 2 ** 31 - 1));
        timer.unref();
        socket.once('close', () => clearTimeout(timer));
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        const extra = ctx.extra as unknown as ConnectionExtra;
        // A token revoked (logout, user deleted) or expired since connection_init starts nothing more.
        if (extra.auth) {
          try {
            await verifier.verify(extra.auth.token);
          } catch (err) {
            // The revocation list unreachable (Redis down) is not the client's fault: refuse this operation only.
            if (!(err instanceof AppError && err.code === 'UNAUTHENTICATED')) return asFormatted(new ServiceUnavailableError()).errors as GraphQLError[];
            extra.socket.close(4403, 'Forbidden');
            return [new GraphQLError('Invalid or expired token', { extensions: { code: 'UNAUTHENTICATED' } })];
          }
        }
        // ctx.subscriptions already holds this operation.
        if (Object.keys(ctx.subscriptions).length > maxOperations) {
          return [new GraphQLError(`At most ${maxOperations} operations may run at once on one connection`, { extensions: { code: 'RATE_LIMIT_EXCEEDED' } })];
        }
        if (options.rateLimiter) {
          let decision;
          try {
            decision = await options.rateLimiter.check({ userId: extra.auth?.userId, ip: extra.ip });
          } catch (err) {
            if (!isUnavailable(err)) throw err;
            return asFormatted(err as ServiceUnavailableError).errors as GraphQLError[];
          }
          if (!decision.allowed) return asFormatted(new RateLimitError(decision.retryAfter)).errors as GraphQLError[];
        }
        const schema = options.schema();
        if (!schema) return asFormatted(new ServiceUnavailableError()).errors as GraphQLError[];
        let document;
        try {
          document = parse(payload.query, { maxTokens: options.maxTokens ?? 5_000 });
        } catch (err) {
          return [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(schema, document, [...specifiedRules, ...options.validationRules], { maxErrors: options.maxValidationErrors ?? 10 });
        if (errors.length) return errors.map((e) => new GraphQLError(hideDetails(e.message), { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        // Queries and mutations get the complexity limit from Apollo; a subscription's selection is
        // resolved through the supergraph on every event, so it is held to the same limit up front.
        const operation = getOperationAST(document, payload.operationName ?? undefined);
        if (operation?.operation === 'subscription') {
          // Bad variables are left to the subscription's start, which reports them.
          const refusal = checkComplexity(schema, document, payload.operationName ?? undefined, payload.variables ?? {}, maxComplexity);
          if (refusal) return [new GraphQLError(refusal.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
        }
        return {
          schema,
          document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue: extra,
        } satisfies ExecutionArgs;
      },
      // Queries and mutations over the socket: the same pipeline as HTTP.
      async execute(args: ExecutionArgs) {
        const extra = args.contextValue as ConnectionExtra;
        const response = await apollo.executeOperation(
          { query: print(args.document), variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined, operationName: args.operationName ?? undefined },
          { contextValue: { auth: extra.auth, requestId: extra.requestId, logger, clientIp: extra.ip } },
        );
        return response.body.kind === 'single' ? (response.body.singleResult as ExecutionResult) : { errors: [new GraphQLError('Incremental delivery is not supported over WebSocket')] };
      },
      async subscribe(args: ExecutionArgs) {
        const extra = args.contextValue as ConnectionExtra;
        const operation = getOperationAST(args.document, args.operationName);
        const subscriptionType = args.schema.getSubscriptionType();
        if (!operation || !subscriptionType) return asFormatted(new GraphQLError('No subscription operation', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        const fragments = fragmentsOf(args.document);
        const rootFields = collectFields(operation.selectionSet, fragments);
        const name = rootFields[0]?.name.value;
        const topic = liveTopics[name];
        const fieldDef = subscriptionType.getFields()[name];
        if (!topic || !fieldDef) return asFormatted(new GraphQLError(`Subscription ${name} is not served`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        // As given (forwarded to the supergraph, which coerces them itself), and coerced to their
        // declared types for the subscription's own arguments (graphql-js's subscribe would do this).
        const variables = (args.variableValues ?? {}) as Record<string, unknown>;
        const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], variables, { maxErrors: 25 });
        if (coerced.errors) return { errors: coerced.errors.map((e) => asFormatted(new GraphQLError(hideDetails(e.message), { extensions: { code: 'BAD_USER_INPUT' } })).errors![0]) };

        let handle: TopicHandler<any>;
        try {
          handle = await topic.prepare({
            operation,
            fragments,
            fields: rootFields.filter((f) => f.name.value === name),
            args: getArgumentValues(fieldDef, rootFields[0], coerced.coerced),
            variables,
            userId: extra.auth?.userId,
            isAdmin: isAdmin(extra.auth),
            run: run(extra.auth, extra.requestId),
          });
        } catch (err) {
          return asFormatted(err);
        }

        let stop: () => void = () => {};
        let counted = false;
        const channel = new Channel<ExecutionResult>(
          () => {
            stop();
            if (counted) active.dec({ field: name });
          },
          maxBuffered,
          asFormatted(new GraphQLError('The subscriber read too slowly and the subscription was ended', { extensions: { code: 'SERVICE_UNAVAILABLE' } })),
        );
        // Events of one subscription are handled one after another, so they arrive in order. A
        // subscription whose events pile up (a slow supergraph, a flood of events) is ended, not
        // queued without bound, like a client that reads too slowly.
        let tail = Promise.resolve();
        let pending = 0;
        try {
          stop = await fanout.add(topic.subject, (event) => {
            // Events about other entities cost nothing: no token check, no queueing.
            if (channel.isClosed || !handle.matches(event)) return;
            if (++pending > MAX_PENDING_EVENTS) {
              channel.push(asFormatted(new GraphQLError('The subscription fell too far behind its events and was ended', { extensions: { code: 'SERVICE_UNAVAILABLE' } })));
              channel.close();
              return;
            }
            tail = tail.then(async () => {
              pending--;
              if (channel.isClosed) return;
              try {
                // A token that was revoked or expired since the socket opened stops the stream.
                if (extra.auth) await verifyFor(event as object, extra.auth.token);
                const data = await handle.resolve(event as PayloadOf<typeof topic.subject>);
                if (data !== undefined) channel.push({ data });
              } catch (err) {
                const result = asFormatted(err);
                channel.push(result);
                if (result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED' || result.errors?.[0]?.extensions?.code === 'NOT_FOUND') channel.close();
              }
            });
          });
          // Counted once it follows the events: the gauge says how many subscriptions are live.
          // A client that left while we were subscribing is let go at once.
          if (channel.isClosed) stop();
          else {
            counted = true;
            active.inc({ field: name });
          }
        } catch (err) {
          // Not following the events (the bus is unreachable): this subscription fails, the socket and its others live on.
          logger.warn({ err, subject: topic.subject }, 'could not follow live events');
          channel.close();
          return asFormatted(new ServiceUnavailableError('Live updates are temporarily unavailable'));
        }
        return channel;
      },
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

import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { EventBus, FanoutSubject, PayloadOf, Subscription as BusSubscription } from '@app/events';
import { AppError, formatGraphQLError, isAdmin, type AuthContext, type Logger, type Metrics, type TokenVerifier } from '@app/platform';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import { print } from 'graphql';
import { Gauge } from 'prom-client';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GatewayContext } from '../server.js';
import { Channel } from './channel.js';
import { liveTopics } from './live-topics.js';
import { collectFields, fragmentsOf } from './selection.js';

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
}

interface ConnectionExtra {
  auth?: AuthContext;
  requestId: string;
}

type Listener = (data: unknown) => void;

/** One bus listener per subject for the whole gateway, dispatching to every live subscription. */
class Fanout {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly subscriptions = new Map<string, Promise<BusSubscription>>();
  constructor(private readonly bus: EventBus) {}

  async add(subject: FanoutSubject, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(subject);
    if (!set) {
      set = new Set();
      this.listeners.set(subject, set);
      const listeners = set;
      this.subscriptions.set(
        subject,
        this.bus.onBroadcast(subject, async (event) => {
          for (const l of listeners) l(event.data);
        }),
      );
    }
    await this.subscriptions.get(subject);
    set.add(listener);
    return () => set!.delete(listener);
  }

  async close() {
    for (const sub of this.subscriptions.values()) await (await sub).unsubscribe();
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

const asFormatted = (err: unknown): ExecutionResult => {
  const error = err instanceof GraphQLError ? err : new GraphQLError(err instanceof AppError ? err.message : 'Internal server error', { extensions: { code: err instanceof AppError ? err.code : 'INTERNAL_ERROR' } });
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
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql' });

  const execute = async (auth: AuthContext | undefined, requestId: string, query: string, variables: Record<string, unknown>) => {
    const response = await apollo.executeOperation({ query, variables }, { contextValue: { auth, requestId, logger } });
    if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
    return response.body.singleResult as ExecutionResult;
  };
  // Per fan-out event (every listener gets the same object): one execution per identity and query.
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
      schema: () => {
        const schema = options.schema();
        if (!schema) throw new Error('supergraph not loaded');
        return schema;
      },
      async onConnect(ctx) {
        const extra = ctx.extra as unknown as ConnectionExtra & { request: IncomingMessage };
        extra.requestId = crypto.randomUUID();
        const token = tokenFrom(ctx.connectionParams);
        if (token === undefined) return true; // anonymous: public subscriptions only
        if (token === null) return false; // 4403 Forbidden
        try {
          extra.auth = await verifier.verify(token);
          return true;
        } catch {
          return false;
        }
      },
      async onSubscribe(ctx, _id, payload) {
        const schema = options.schema();
        if (!schema) return [new GraphQLError('Service temporarily unavailable', { extensions: { code: 'SERVICE_UNAVAILABLE' } })];
        let document;
        try {
          document = parse(payload.query, { maxTokens: 5_000 });
        } catch (err) {
          return [err as GraphQLError];
        }
        const errors = validate(schema, document, [...specifiedRules, ...options.validationRules]);
        if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        const extra = ctx.extra as unknown as ConnectionExtra;
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
          { contextValue: { auth: extra.auth, requestId: extra.requestId, logger } },
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
        const variables = (args.variableValues ?? {}) as Record<string, unknown>;

        let handle: (event: any) => Promise<Record<string, unknown> | null | undefined>;
        try {
          handle = await topic.prepare({
            operation,
            fragments,
            fields: rootFields.filter((f) => f.name.value === name),
            args: getArgumentValues(fieldDef, rootFields[0], variables),
            variables,
            userId: extra.auth?.userId,
            isAdmin: isAdmin(extra.auth),
            run: run(extra.auth, extra.requestId),
          });
        } catch (err) {
          return asFormatted(err);
        }

        let stop: () => void = () => {};
        const channel = new Channel<ExecutionResult>(() => {
          stop();
          active.dec({ field: name });
        });
        active.inc({ field: name });
        // Events of one subscription are handled one after another, so they arrive in order.
        let tail = Promise.resolve();
        stop = await fanout.add(topic.subject, (event) => {
          tail = tail.then(async () => {
            if (channel.isClosed) return;
            try {
              // A token that was revoked or expired since the socket opened stops the stream.
              if (extra.auth) await verifier.verify(extra.auth.token);
              const data = await handle(event as PayloadOf<typeof topic.subject>);
              if (data !== undefined) channel.push({ data });
            } catch (err) {
              const result = asFormatted(err);
              channel.push(result);
              if (result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED' || result.errors?.[0]?.extensions?.code === 'NOT_FOUND') channel.close();
            }
          });
        });
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

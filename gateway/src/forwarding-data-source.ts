import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { context as otelContext, propagation, type TextMapSetter } from '@opentelemetry/api';
import type { GatewayContext } from './context.js';

type Response = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** Writes `traceparent` (and `tracestate`) into a subgraph request's fetch headers. */
const headerSetter: TextMapSetter<{ set(name: string, value: string): void }> = { set: (headers, name, value) => headers.set(name, value) };

/**
 * Node's fetch with a time limit on each call (the whole exchange, body included): a subgraph
 * that stops answering fails its fetch with a TimeoutError (SERVICE_UNAVAILABLE to the client)
 * instead of holding the request, and the fetches to other subgraphs go on.
 */
export function timedFetch(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}

/**
 * How a subgraph is called: the caller's token, the request id and the trace (`traceparent` of
 * the gateway's `gateway.fetch` span, so the subgraph's spans hang under it) go along (each
 * subgraph verifies the token again itself), and an entity fetch asks for each distinct entity once.
 *
 * `@apollo/gateway` sends one representation per occurrence: 10 orders of the same user, or 40
 * order lines over 4 products, become 10 and 40 representations that the subgraph resolves one by
 * one (with their nested selections). The fetch here sends the distinct ones and spreads the
 * answers (and errors) back over the original positions, so the gateway sees what it asked for.
 */
export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /**
   * Given for the auth service only. Every call reaches auth from the gateway's address, so the
   * gateway names its client (`x-client-ip`) for auth's login throttle, with the key beside it
   * (`x-internal-authorization`): auth believes the name only with the key. (`declare`: the base
   * class's constructor copies its config onto the object; a field initializer would reset it.)
   */
  declare internalApiKey?: string;

  constructor(config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0] & { internalApiKey?: string }) {
    super(config);
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const ctx = context as Partial<GatewayContext>;
    if (ctx.auth) request.http?.headers.set('authorization', `Bearer ${ctx.auth.token}`);
    if (ctx.requestId) request.http?.headers.set('x-request-id', ctx.requestId);
    // With tracing off the propagator is the API's no-op and nothing is set.
    if (request.http) propagation.inject(otelContext.active(), request.http.headers, headerSetter);
    if (this.internalApiKey && ctx.clientIp) {
      request.http?.headers.set('x-client-ip', ctx.clientIp);
      request.http?.headers.set('x-internal-authorization', `Bearer ${this.internalApiKey}`);
    }
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<Response> {
    const representations = options.request.variables?.representations;
    if (!Array.isArray(representations) || representations.length < 2) return super.process(options);

    const indexOf = new Map<string, number>();
    const unique: unknown[] = [];
    const positions = representations.map((representation) => {
      const key = JSON.stringify(representation);
      let index = indexOf.get(key);
      if (index === undefined) {
        index = unique.length;
        indexOf.set(key, index);
        unique.push(representation);
      }
      return index;
    });
    if (unique.length === representations.length) return super.process(options);

    const response = await super.process({
      ...options,
      request: { ...options.request, variables: { ...options.request.variables, representations: unique } },
    });
    const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    if (Array.isArray(entities)) {
      // A copy per position: the gateway merges later fetches into these objects in place.
      (response.data as { _entities: unknown[] })._entities = positions.map((index) => structuredClone(entities[index]));
    }
    if (response.errors?.length) {
      response.errors = response.errors.flatMap((error) => {
        const path = error.path;
        if (path?.[0] !== '_entities' || typeof path[1] !== 'number') return [error];
        return positions.flatMap((index, position) =>
          index === path[1] ? [{ ...error, path: ['_entities', position, ...path.slice(2)] }] : [],
        );
      });
    }
    return response;
  }
}

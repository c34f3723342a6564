import { STATUS_CODES } from 'node:http';
import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { context as otelContext, propagation, type TextMapSetter } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.js';
import type { SubgraphAnswer, SubgraphClient } from './subgraph-client.js';

type Response = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;
type SubgraphRequest = GraphQLDataSourceProcessOptions<GatewayContext>['request'];

/** Writes `traceparent` (and `tracestate`) into a subgraph request's fetch headers. */
const headerSetter: TextMapSetter<{ set(name: string, value: string): void }> = { set: (headers, name, value) => headers.set(name, value) };

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
  /** The pooled HTTP client every call to this subgraph goes through. */
  declare client: SubgraphClient;
  /**
   * The subgraph's reads answer the same to everyone (SHARED_READ_SUBGRAPHS): identical queries
   * in flight at once are sent once. Mutations never are.
   */
  declare sharedReads?: boolean;

  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0] & {
      client: SubgraphClient;
      internalApiKey?: string;
      sharedReads?: boolean;
    },
  ) {
    super(config);
    // Apollo's process() sends through `this.sendRequest`, private in its types: this instance's
    // own is the pooled one below.
    Object.defineProperty(this, 'sendRequest', { value: this.sendPooled });
  }

  /** Apollo's sendRequest over the pooled client: the same answers and errors, without fetch. */
  private async sendPooled(request: SubgraphRequest): Promise<Response> {
    const { http, ...operation } = request;
    if (!http) throw new Error("Internal error: Only 'http' requests are supported.");
    const body = JSON.stringify(operation);
    const headers: Record<string, string> = {};
    for (const [name, value] of http.headers) headers[name] = value;
    const shared = this.sharedReads && typeof operation.query === 'string' && !/^\s*(mutation|subscription)\b/.test(operation.query);
    const answer = await this.client.post(headers, body, shared ? body : undefined);
    const parsed = parseAnswer(answer);
    if (answer.status < 200 || answer.status > 299) throw errorFromAnswer(this.client.url, answer, parsed);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`Expected JSON response body, but received: ${answer.body}`);
    }
    return { ...(parsed as Response), http: answerAsResponse(this.client.url, answer) as never };
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

/** JSON when the subgraph says so, else the text (as Apollo's parseBody). */
function parseAnswer(answer: SubgraphAnswer): unknown {
  const type = String(answer.headers['content-type'] ?? '');
  return type.startsWith('application/json') || type.startsWith('application/graphql-response+json')
    ? JSON.parse(answer.body)
    : answer.body;
}

/** Apollo's error for a non-2xx answer: `<status>: <text>`, with the answer under extensions.response. */
function errorFromAnswer(url: string, answer: SubgraphAnswer, body: unknown): GraphQLError {
  const statusText = STATUS_CODES[answer.status] ?? '';
  const code = answer.status === 401 ? 'UNAUTHENTICATED' : answer.status === 403 ? 'FORBIDDEN' : undefined;
  return new GraphQLError(`${answer.status}: ${statusText}`, {
    extensions: { response: { url, status: answer.status, statusText, body }, ...(code ? { code } : {}) },
  });
}

/** What Apollo reads of a subgraph's response after the fact: the cache-control header. */
function answerAsResponse(url: string, answer: SubgraphAnswer) {
  return {
    url,
    status: answer.status,
    headers: { get: (name: string) => (answer.headers[name.toLowerCase()] as string | undefined) ?? null },
  };
}

import { STATUS_CODES } from 'node:http';
import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { context as otelContext, propagation, type TextMapSetter } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.js';
import type { PublicAnswerCache } from './public-answer-cache.js';
import type { SharedEntitySelection } from './shared-entity-selection.js';
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
  /** What shared-read subgraphs answered, kept (PUBLIC_ANSWER_CACHE_SECONDS); none when off. */
  declare answers?: PublicAnswerCache;
  /**
   * Entities of this subgraph that every signed-in caller sees alike (auth's accounts: a username
   * is the same whoever asks, once signed in): an `_entities` fetch that `signedInShared` allows,
   * for a caller with a verified token, is answered from `signedInAnswers` where it can be.
   * Anonymous callers always reach the subgraph (it refuses them).
   */
  declare signedInShared?: SharedEntitySelection;
  declare signedInAnswers?: PublicAnswerCache;

  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0] & {
      client: SubgraphClient;
      internalApiKey?: string;
      sharedReads?: boolean;
      answers?: PublicAnswerCache;
      signedInShared?: SharedEntitySelection;
      signedInAnswers?: PublicAnswerCache;
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
    const { query, variables } = options.request;
    const read = this.sharedReads && typeof query === 'string' && !/^\s*(mutation|subscription)\b/.test(query);
    const answers = read ? this.answers : undefined;
    const representations = variables?.representations;
    if (Array.isArray(representations)) return this.fetchEntities(options, representations, answers ?? this.signedInAnswersFor(options));
    if (answers) return this.readThrough(options, answers);
    const response = await super.process(options);
    // What this replica forwarded may have changed what it keeps: its client reads its own write.
    if (this.sharedReads && !read) this.answers?.clear();
    return response;
  }

  /** The signed-in callers' kept entities, when this fetch may use them. */
  private signedInAnswersFor({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): PublicAnswerCache | undefined {
    if (!this.signedInAnswers || !(context as Partial<GatewayContext>).auth || typeof request.query !== 'string') return undefined;
    return this.signedInShared?.allows(request.query) ? this.signedInAnswers : undefined;
  }

  /** A root query to a shared-read subgraph: the kept answer, or the subgraph's (kept when error-free). */
  private async readThrough(options: GraphQLDataSourceProcessOptions<GatewayContext>, answers: PublicAnswerCache): Promise<Response> {
    const key = `${options.request.query}\0${JSON.stringify(options.request.variables ?? {})}`;
    const kept = answers.get(key);
    if (kept !== undefined) return { data: JSON.parse(kept) };
    const generation = answers.generation;
    const response = await super.process(options);
    if (response.data && !response.errors?.length) answers.set(key, JSON.stringify(response.data), generation);
    return response;
  }

  /**
   * An `_entities` fetch: each distinct representation once, the kept ones (shared-read subgraphs)
   * not at all; the answers and errors spread back over the original positions.
   */
  private async fetchEntities(
    options: GraphQLDataSourceProcessOptions<GatewayContext>,
    representations: unknown[],
    answers: PublicAnswerCache | undefined,
  ): Promise<Response> {
    const { representations: _, ...otherVariables } = options.request.variables ?? {};
    const prefix = answers ? `${options.request.query}\0${JSON.stringify(otherVariables)}\0` : '';
    const indexOf = new Map<string, number>();
    const uniqueKeys: string[] = [];
    const positions = representations.map((representation) => {
      const key = JSON.stringify(representation);
      let index = indexOf.get(key);
      if (index === undefined) {
        index = uniqueKeys.length;
        indexOf.set(key, index);
        uniqueKeys.push(key);
      }
      return index;
    });
    const kept = uniqueKeys.map((key) => answers?.get(prefix + key));
    const toFetch = uniqueKeys.flatMap((_key, unique) => (kept[unique] === undefined ? [unique] : []));
    const keys = toFetch.map((unique) => prefix + uniqueKeys[unique]);
    const fetchAndKeep = async (request: GraphQLDataSourceProcessOptions<GatewayContext>) => {
      const generation = answers?.generation ?? 0;
      const fetchedResponse = await super.process(request);
      if (answers) keepEntities(answers, generation, fetchedResponse, keys);
      return fetchedResponse;
    };
    // Nothing repeated and nothing kept: the fetch as asked.
    if (toFetch.length === representations.length) return fetchAndKeep(options);
    let response: Response = { data: { _entities: [] } };
    if (toFetch.length) {
      const asked = toFetch.map((unique) => representations[positions.indexOf(unique)]);
      response = await fetchAndKeep({
        ...options,
        request: { ...options.request, variables: { ...options.request.variables, representations: asked } },
      });
    }
    const fetchedAt = new Map(toFetch.map((unique, index) => [unique, index]));
    const fetched = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    if (Array.isArray(fetched) || kept.some((value) => value !== undefined)) {
      // A copy per position: the gateway merges later fetches into these objects in place.
      const entities = positions.map((unique) => {
        const value = kept[unique];
        if (value !== undefined) return JSON.parse(value);
        const at = fetchedAt.get(unique)!;
        return Array.isArray(fetched) ? structuredClone(fetched[at]) : null;
      });
      response = { ...response, data: { ...(response.data ?? {}), _entities: entities } };
    }
    if (response.errors?.length) response = { ...response, errors: spreadErrors(response.errors, positions, fetchedAt) };
    return response;
  }
}

/** Keeps each fetched entity that came without an error of its own. */
function keepEntities(answers: PublicAnswerCache, generation: number, response: Response, keys: string[]) {
  const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
  if (!Array.isArray(entities)) return;
  const failed = new Set((response.errors ?? []).map((error) => (error.path?.[0] === '_entities' ? error.path[1] : 'all')));
  if (failed.has('all')) return;
  entities.forEach((entity, index) => {
    if (entity != null && !failed.has(index) && keys[index]) answers.set(keys[index], JSON.stringify(entity), generation);
  });
}

/** An error about fetched entity i is repeated at every original position of that entity. */
function spreadErrors(errors: NonNullable<Response['errors']>, positions: number[], fetchedAt: Map<number, number>) {
  return errors.flatMap((error) => {
    const path = error.path;
    if (path?.[0] !== '_entities' || typeof path[1] !== 'number') return [error];
    return positions.flatMap((unique, position) =>
      fetchedAt.get(unique) === path[1] ? [{ ...error, path: ['_entities', position, ...path.slice(2)] }] : [],
    );
  });
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

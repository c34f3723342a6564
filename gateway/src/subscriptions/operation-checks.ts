import { checkComplexity, RateLimitError, ServiceUnavailableError } from '@app/platform/core';
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { RateLimitDecision, RateLimiter } from '../rate-limiter.js';
import { extraOf, type SocketContext } from './connection-guard.js';
import { isUnavailable, refusal } from './error-result.js';

export interface OperationCheckOptions {
  /** The supergraph's API schema; undefined until it is loaded. */
  schema: () => GraphQLSchema | undefined;
  /** Every operation sent over a socket counts as one request, as over HTTP. */
  rateLimiter?: RateLimiter;
  /** Extra validation (depth, aliases) applied to socket documents as to any other. */
  validationRules: ValidationRule[];
  /** Operations in flight on one socket. */
  maxOperations: number;
  maxTokens: number;
  maxComplexity: number;
  maxValidationErrors: number;
  /** Strips "Did you mean ...?" in production. */
  hideDetails: (message: string) => string;
}

/** Why an operation may not start (as graphql-ws sends them), or what it runs with. */
export type OperationCheck = (ctx: SocketContext, payload: SubscribePayload) => Promise<ExecutionArgs | GraphQLError[]>;

/** Documents kept parsed and validated, and the longest query text kept: a bound on what a flood of distinct ones can hold. */
const MAX_DOCUMENTS = 200;
const MAX_DOCUMENT_LENGTH = 8_192;

/**
 * Documents that passed parsing and validation, by query text, per schema (least recently used
 * dropped first). Sockets mostly send one of a few documents: each is parsed and validated once,
 * and the subscriptions made with it share one syntax tree instead of holding a copy each.
 */
class ValidDocuments {
  private readonly bySchema = new WeakMap<GraphQLSchema, Map<string, DocumentNode>>();

  get(schema: GraphQLSchema, query: string): DocumentNode | undefined {
    const documents = this.bySchema.get(schema);
    const document = documents?.get(query);
    if (document) {
      documents!.delete(query);
      documents!.set(query, document);
    }
    return document;
  }

  add(schema: GraphQLSchema, query: string, document: DocumentNode) {
    if (query.length > MAX_DOCUMENT_LENGTH) return;
    let documents = this.bySchema.get(schema);
    if (!documents) this.bySchema.set(schema, (documents = new Map()));
    if (documents.size >= MAX_DOCUMENTS) documents.delete(documents.keys().next().value!);
    documents.set(query, document);
  }
}

/**
 * What any operation sent over a socket must pass before it starts, the same limits as over
 * HTTP: operations per socket, the rate limit, the token limit, validation (with the gateway's
 * extra rules) and, for a subscription, the complexity limit.
 */
export function operationChecks(options: OperationCheckOptions): OperationCheck {
  const { maxOperations, rateLimiter, hideDetails } = options;
  const valid = new ValidDocuments();
  /** The document parsed and validated (with the gateway's extra rules), or why it may not run. */
  const checkDocument = (schema: GraphQLSchema, query: string): DocumentNode | GraphQLError[] => {
    const known = valid.get(schema, query);
    if (known) return known;
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: options.maxTokens });
    } catch (err) {
      return [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
    }
    const errors = validate(schema, document, [...specifiedRules, ...options.validationRules], { maxErrors: options.maxValidationErrors });
    if (errors.length)
      return errors.map(
        (e) => new GraphQLError(hideDetails(e.message), { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
      );
    valid.add(schema, query, document);
    return document;
  };
  return async (ctx, payload) => {
    const extra = extraOf(ctx);
    // ctx.subscriptions already holds this operation.
    if (Object.keys(ctx.subscriptions).length > maxOperations) {
      return [
        new GraphQLError(`At most ${maxOperations} operations may run at once on one connection`, {
          extensions: { code: 'RATE_LIMIT_EXCEEDED' },
        }),
      ];
    }
    if (rateLimiter) {
      let decision: RateLimitDecision;
      try {
        decision = await rateLimiter.check({ userId: extra.auth?.userId, ip: extra.ip });
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        return refusal(err);
      }
      if (!decision.allowed) return refusal(new RateLimitError(decision.retryAfter));
    }
    const schema = options.schema();
    if (!schema) return refusal(new ServiceUnavailableError());
    const document = checkDocument(schema, payload.query);
    if (Array.isArray(document)) return document;
    // Queries and mutations get the complexity limit from Apollo; a subscription's selection is
    // resolved through the supergraph on every event, so it is held to the same limit up front.
    const operation = getOperationAST(document, payload.operationName ?? undefined);
    if (operation?.operation === 'subscription') {
      // Bad variables are left to the subscription's start, which reports them.
      const tooComplex = checkComplexity(
        schema,
        document,
        payload.operationName ?? undefined,
        payload.variables ?? {},
        options.maxComplexity,
      );
      if (tooComplex) return [new GraphQLError(tooComplex.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
    }
    return {
      schema,
      document,
      variableValues: payload.variables ?? undefined,
      operationName: payload.operationName ?? undefined,
      contextValue: extra,
    } satisfies ExecutionArgs;
  };
}

import { type PayloadOf, Subjects } from '@app/events';
import { type ExecutionResult, type FieldNode, GraphQLError, type OperationDefinitionNode } from 'graphql';
import { collectFields, entityQuery, type Fragments, pick, responseKey } from './selection.js';

/**
 * Runs a query through the supergraph as the subscriber (their token goes to every subgraph).
 * Given the event being delivered, subscribers share one execution per event and query: those
 * with the same identity, or all of them when the selection answers the same whoever asks
 * (caller-independence.ts). The result is shared: a topic that changes it copies it first.
 */
export type RunAsSubscriber = (query: string, variables: Record<string, unknown>, event?: object) => Promise<ExecutionResult>;

export interface TopicContext {
  operation: OperationDefinitionNode;
  fragments: Fragments;
  /** The subscription's root field nodes (one field, possibly repeated under aliases). */
  fields: FieldNode[];
  args: Record<string, unknown>;
  variables: Record<string, unknown>;
  isAdmin: boolean;
  userId?: string;
  run: RunAsSubscriber;
}

/** A subscription field fed by one fan-out subject. */
// biome-ignore lint/suspicious/noExplicitAny: a topic of either live subject; each LiveTopic narrows it
export interface LiveTopic<S extends typeof Subjects.LiveOrderUpdated | typeof Subjects.LiveStockUpdated = any> {
  field: string;
  subject: S;
  /** The entity an event is about: the fan-out hands it only to the subscriptions following that entity. */
  keyOf(event: PayloadOf<S>): string;
  /**
   * Throws a GraphQLError when the subscriber may not follow this; returns the per-subscription
   * state: `matches` (cheap, synchronous: is this event about what the subscriber follows?) and
   * `resolve` (the result to deliver for a matching event, undefined for none).
   */
  prepare(ctx: TopicContext): Promise<TopicHandler<PayloadOf<S>>>;
}

export interface TopicHandler<E> {
  /** The entities followed (what `keyOf` gives for their events). */
  keys: readonly string[];
  matches(event: E): boolean;
  resolve(event: E): Promise<Record<string, unknown> | null | undefined>;
}

const gqlError = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });

function firstErrorCode(result: ExecutionResult): string | undefined {
  return result.errors?.[0]?.extensions?.code as string | undefined;
}

/** Lays the event's own values over the resolved object, for the fields the client selected. */
function overlay(target: Record<string, unknown>, source: Record<string, unknown>, fields: FieldNode[], fragments: Fragments) {
  for (const field of fields) {
    const key = responseKey(field);
    const name = field.name.value;
    if (!(key in target) || !(name in source)) continue;
    const value = source[name];
    if (field.selectionSet && value && typeof value === 'object' && target[key] && typeof target[key] === 'object') {
      overlay(
        target[key] as Record<string, unknown>,
        value as Record<string, unknown>,
        collectFields(field.selectionSet, fragments),
        fragments,
      );
    } else if (!field.selectionSet || value === null) {
      target[key] = value;
    }
  }
}

/**
 * `orderUpdated(orderId)`: only the order's owner (or an admin) may subscribe. Each event names
 * the order; the client's selection is resolved through the supergraph as the subscriber, then
 * the transition's own state (status, sagaState, updatedAt) is laid over it, so every
 * transition is seen even when the next one has already happened.
 */
export const orderUpdatedTopic: LiveTopic<typeof Subjects.LiveOrderUpdated> = {
  field: 'orderUpdated',
  subject: Subjects.LiveOrderUpdated,
  keyOf: (event) => event.orderId,
  async prepare(ctx) {
    if (!ctx.userId) throw gqlError('Authentication required to follow an order', 'UNAUTHENTICATED');
    const orderId = String(ctx.args.orderId ?? '');
    const check = await ctx.run('query LiveAuthorize($id: ID!) { order(id: $id) { id userId } }', { id: orderId });
    const order = check.data?.order as { userId: string } | null | undefined;
    if (firstErrorCode(check) === 'UNAUTHENTICATED') throw gqlError('Authentication required to follow an order', 'UNAUTHENTICATED');
    if (firstErrorCode(check) === 'VALIDATION_ERROR') throw gqlError(check.errors![0].message, 'VALIDATION_ERROR');
    // The orders subgraph (or another) is down: say so, rather than that the order is not theirs.
    const code = firstErrorCode(check);
    if (!order && (code === 'SERVICE_UNAVAILABLE' || code === 'INTERNAL_ERROR')) throw check.errors![0];
    if (!order || (order.userId !== ctx.userId && !ctx.isAdmin)) throw gqlError('You may not follow this order', 'FORBIDDEN');

    const { query, variables } = entityQuery(ctx.operation, ctx.fragments, ctx.fields, { name: 'order', keyArgument: 'id' });
    const used = pick(ctx.variables, variables);
    let lastVersion = -1;
    return {
      keys: [orderId],
      matches: (event) => event.orderId === orderId,
      resolve: async (event) => {
        if (event.orderId !== orderId) return undefined;
        if (event.version <= lastVersion) return undefined; // a late duplicate or an older transition
        lastVersion = event.version;
        const shared = await ctx.run(query, { ...used, __key: orderId }, event);
        if (shared.errors?.length) throw shared.errors[0];
        // Other subscribers may hold the same result: the event is laid over a copy of our own.
        const result = { data: structuredClone(shared.data) };
        const snapshot = { status: event.status, updatedAt: event.updatedAt, sagaState: event.sagaState };
        for (const field of ctx.fields) {
          const value = result.data?.[responseKey(field)] as Record<string, unknown> | null;
          if (!value) throw gqlError('The order no longer exists', 'NOT_FOUND');
          overlay(value, snapshot, collectFields(field.selectionSet, ctx.fragments), ctx.fragments);
        }
        return result.data as Record<string, unknown>;
      },
    };
  },
};

/**
 * `stockUpdated(productIds)`: public, like the catalog. The event carries productId,
 * newQuantity and updatedAt; a selected `product { ... }` is resolved through the supergraph.
 * Its `version` keeps each product's changes in order: one older than a change already
 * delivered (heard late: another catalog replica, a copy sent again) is not delivered.
 */
export const stockUpdatedTopic: LiveTopic<typeof Subjects.LiveStockUpdated> = {
  field: 'stockUpdated',
  subject: Subjects.LiveStockUpdated,
  keyOf: (event) => event.productId,
  async prepare(ctx) {
    const ids = new Set((ctx.args.productIds as string[] | undefined) ?? []);
    if (ids.size === 0) throw gqlError('productIds must name at least one product', 'VALIDATION_ERROR');
    if (ids.size > 100) throw gqlError('productIds may name at most 100 products', 'VALIDATION_ERROR');

    // One query per root field for all its `product` selections (aliases included): one
    // execution per event, however many times the client selected the product.
    const productQueries = ctx.fields.flatMap((root) => {
      const productFields = collectFields(root.selectionSet, ctx.fragments).filter((f) => f.name.value === 'product');
      if (!productFields.length) return [];
      const { query, variables } = entityQuery(ctx.operation, ctx.fragments, productFields, { name: 'product', keyArgument: 'id' });
      return [
        { root: responseKey(root), query, variables: pick(ctx.variables, variables), keys: [...new Set(productFields.map(responseKey))] },
      ];
    });
    // The event's own fields each root selects (response key, field name), worked out once.
    const eventFields = ctx.fields.map((root) => ({
      key: responseKey(root),
      fields: collectFields(root.selectionSet, ctx.fragments)
        .filter((f) => f.name.value !== 'product')
        .map((f) => [responseKey(f), f.name.value] as const),
    }));
    // Each product's newest stock version delivered: an older or repeated change is skipped.
    const delivered = new Map<string, number>();
    return {
      keys: [...ids],
      matches: (event) => ids.has(event.productId),
      resolve: async (event) => {
        if (!ids.has(event.productId)) return undefined;
        if (event.version !== undefined) {
          if (event.version <= (delivered.get(event.productId) ?? -1)) return undefined; // a late copy or an older change
          delivered.set(event.productId, event.version);
        }
        const values: Record<string, unknown> = {
          __typename: 'StockUpdate',
          productId: event.productId,
          newQuantity: event.newQuantity,
          updatedAt: event.updatedAt,
        };
        const data: Record<string, unknown> = {};
        for (const { key, fields } of eventFields) {
          const out: Record<string, unknown> = {};
          for (const [outKey, name] of fields) out[outKey] = values[name];
          data[key] = out;
        }
        for (const { root, query, variables, keys } of productQueries) {
          const result = await ctx.run(query, { ...variables, __key: event.productId }, event);
          if (result.errors?.length) throw result.errors[0];
          for (const key of keys) (data[root] as Record<string, unknown>)[key] = result.data?.[key] ?? null;
        }
        return data;
      },
    };
  },
};

export const liveTopics: Record<string, LiveTopic> = {
  [orderUpdatedTopic.field]: orderUpdatedTopic,
  [stockUpdatedTopic.field]: stockUpdatedTopic,
};

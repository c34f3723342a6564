import type { PayloadOf } from '@app/events';
import { isAdmin, type Logger, ServiceUnavailableError } from '@app/platform/core';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values.js';
import type { Gauge } from 'prom-client';
import { Channel } from './channel.js';
import type { ConnectionExtra } from './connection-guard.js';
import { errorResult } from './error-result.js';
import type { Fanout } from './fanout.js';
import { type LiveTopic, liveTopics, type TopicHandler } from './live-topics.js';
import { collectFields, fragmentsOf } from './selection.js';
import type { SharedExecution } from './shared-execution.js';

/** Events of one subscription waiting for their resolution (a slow or hanging subgraph); past this the subscription is ended. */
const MAX_PENDING_EVENTS = 1_000;

export interface SubscribeOptions {
  fanout: Fanout;
  execution: SharedExecution;
  /** `graphql_subscriptions_active{field}`. */
  active: Gauge<'field'>;
  /** Results waiting for a client that reads slowly; past it the subscription is ended with an error. */
  maxBuffered: number;
  /** Strips "Did you mean ...?" in production. */
  hideDetails: (message: string) => string;
  logger: Logger;
}

/** A subscription the subscriber may follow: its field, topic and per-subscription state. */
interface Prepared {
  name: string;
  topic: LiveTopic;
  // biome-ignore lint/suspicious/noExplicitAny: the handler of whichever topic the subscription follows
  handle: TopicHandler<any>;
}

/** graphql-ws's `subscribe`: a live stream of results (a Channel), or the result that refuses it. */
export function subscriber(options: SubscribeOptions) {
  return async (args: ExecutionArgs): Promise<ExecutionResult | Channel<ExecutionResult>> => {
    const prepared = await prepare(args, options);
    if (!('handle' in prepared)) return prepared;
    return follow(prepared, args.contextValue as ConnectionExtra, options);
  };
}

/** The subscription's topic, its arguments coerced, and the topic's own check that the subscriber may follow it. */
async function prepare(args: ExecutionArgs, options: SubscribeOptions): Promise<Prepared | ExecutionResult> {
  const extra = args.contextValue as ConnectionExtra;
  const operation = getOperationAST(args.document, args.operationName);
  const subscriptionType = args.schema.getSubscriptionType();
  if (!operation || !subscriptionType)
    return errorResult(new GraphQLError('No subscription operation', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
  const fragments = fragmentsOf(args.document);
  const rootFields = collectFields(operation.selectionSet, fragments);
  const name = rootFields[0]?.name.value;
  const topic = liveTopics[name];
  const fieldDef = subscriptionType.getFields()[name];
  if (!topic || !fieldDef)
    return errorResult(new GraphQLError(`Subscription ${name} is not served`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
  // As given (forwarded to the supergraph, which coerces them itself), and coerced to their
  // declared types for the subscription's own arguments (graphql-js's subscribe would do this).
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], variables, { maxErrors: 25 });
  if (coerced.errors)
    return {
      errors: coerced.errors.map(
        (e) => errorResult(new GraphQLError(options.hideDetails(e.message), { extensions: { code: 'BAD_USER_INPUT' } })).errors![0],
      ),
    };
  try {
    const handle = await topic.prepare({
      operation,
      fragments,
      fields: rootFields.filter((f) => f.name.value === name),
      args: getArgumentValues(fieldDef, rootFields[0], coerced.coerced),
      variables,
      userId: extra.auth?.userId,
      isAdmin: isAdmin(extra.auth),
      run: options.execution.runner(extra.auth, extra.requestId),
    });
    return { name, topic, handle };
  } catch (err) {
    return errorResult(err);
  }
}

/** Follows the topic's events: each matching one resolved in order and pushed to the subscriber. */
async function follow(
  { name, topic, handle }: Prepared,
  extra: ConnectionExtra,
  options: SubscribeOptions,
): Promise<ExecutionResult | Channel<ExecutionResult>> {
  const { active } = options;
  let stop: () => void = () => {};
  let counted = false;
  const channel = new Channel<ExecutionResult>(
    () => {
      stop();
      if (counted) active.dec({ field: name });
    },
    options.maxBuffered,
    errorResult(
      new GraphQLError('The subscriber read too slowly and the subscription was ended', { extensions: { code: 'SERVICE_UNAVAILABLE' } }),
    ),
  );
  // Events of one subscription are handled one after another, so they arrive in order. A
  // subscription whose events pile up (a slow supergraph, a flood of events) is ended, not
  // queued without bound, like a client that reads too slowly.
  let tail = Promise.resolve();
  let pending = 0;
  try {
    stop = await options.fanout.add(topic.subject, topic.keyOf, handle.keys, (event) => {
      // Only events about the entities followed come here: no token check, no queueing for the others.
      if (channel.isClosed || !handle.matches(event)) return;
      if (++pending > MAX_PENDING_EVENTS) {
        channel.push(
          errorResult(
            new GraphQLError('The subscription fell too far behind its events and was ended', {
              extensions: { code: 'SERVICE_UNAVAILABLE' },
            }),
          ),
        );
        channel.close();
        return;
      }
      tail = tail.then(async () => {
        pending--;
        if (channel.isClosed) return;
        try {
          // A token that was revoked or expired since the socket opened stops the stream.
          if (extra.auth) await options.execution.verifyFor(event as object, extra.auth.token);
          const data = await handle.resolve(event as PayloadOf<typeof topic.subject>);
          if (data !== undefined) channel.push({ data });
        } catch (err) {
          const result = errorResult(err);
          channel.push(result);
          if (result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED' || result.errors?.[0]?.extensions?.code === 'NOT_FOUND')
            channel.close();
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
    options.logger.warn({ err, subject: topic.subject }, 'could not follow live events');
    channel.close();
    return errorResult(new ServiceUnavailableError('Live updates are temporarily unavailable'));
  }
  return channel;
}

/**
 * Wire format and delivery policy shared by both bus implementations, so the in-memory bus
 * validates, retries and dead-letters exactly like the NATS one.
 */
import { randomUUID } from 'node:crypto';
import { type Context, context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { z } from 'zod';
import { DeadLetterNotReplayableError, EventBusConfigError, InvalidEventError } from './errors.js';
import {
  type DeadLetteredCount,
  type EventEnvelope,
  type Handler,
  type ListDeadLettersOptions,
  type StoredDeadLetter,
  type SubscribeOptions,
  subscribeDefaults,
} from './event-bus.js';
import type { EventLogger } from './logger.js';
import {
  type DeadLetter,
  type DurableSubject,
  deadLetterSchema,
  envelopeSchemaFor,
  eventSchemas,
  isDurableSubject,
  type PayloadOf,
  type Subject,
} from './schemas.js';

export type ResolvedSubscribeOptions = Required<SubscribeOptions>;

// Durable names become JetStream consumer names: no dots, wildcards or whitespace.
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

export function assertValidName(kind: string, value: string): void {
  if (!NAME_PATTERN.test(value)) {
    throw new EventBusConfigError(`${kind} "${value}" must match ${NAME_PATTERN}`);
  }
}

export function resolveSubscribeOptions(opts: SubscribeOptions): ResolvedSubscribeOptions {
  assertValidName('durable', opts.durable);
  const resolved = { ...subscribeDefaults, ...stripUndefined(opts) };
  if (!Number.isInteger(resolved.maxDeliver) || resolved.maxDeliver < 1) {
    throw new EventBusConfigError(`maxDeliver must be a positive integer, got ${resolved.maxDeliver}`);
  }
  if (!(resolved.ackWaitMs > 0) || !(resolved.backoffMs >= 0)) {
    throw new EventBusConfigError('ackWaitMs must be > 0 and backoffMs >= 0');
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Validates the payload (throws InvalidEventError) and wraps it in an envelope. */
export function createEnvelope<S extends Subject>(subject: S, data: PayloadOf<S>, msgId?: string): EventEnvelope<S> {
  const result = eventSchemas[subject].safeParse(data);
  if (!result.success) {
    throw new InvalidEventError(subject, z.prettifyError(result.error), { cause: result.error });
  }
  return { id: msgId ?? randomUUID(), subject, occurredAt: new Date().toISOString(), data: result.data as PayloadOf<S> };
}

export type DecodeResult<S extends Subject> = { ok: true; envelope: EventEnvelope<S> } | { ok: false; error: string };

export function decodeEnvelope<S extends Subject>(subject: S, raw: string): DecodeResult<S> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: `malformed JSON: ${describeError(err)}` };
  }
  const result = envelopeSchemaFor(subject).safeParse(json);
  if (!result.success) {
    return { ok: false, error: `invalid envelope: ${z.prettifyError(result.error)}` };
  }
  return { ok: true, envelope: result.data as EventEnvelope<S> };
}

const utf8 = new TextDecoder();

export function toText(data: Uint8Array | string): string {
  return typeof data === 'string' ? data : utf8.decode(data);
}

export function safeJsonParse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

/**
 * W3C trace context (`traceparent`, `tracestate`) carried beside a message, in its headers and
 * never in its body: a consumer's span continues the publisher's trace.
 */
export type TraceHeaders = Record<string, string>;

const tracer = trace.getTracer('@app/events');

/** Which bus a span is about (`messaging.system`). */
export type MessagingSystem = 'nats' | 'memory';

/**
 * Runs a publish in a PRODUCER span (`publish <subject>`) and gives it the headers that carry the
 * span to the consumers. Outside a trace (or with tracing off) there is no span and no headers:
 * a publish does not start a trace of its own.
 */
export function tracedPublish<T>(
  system: MessagingSystem,
  subject: string,
  messageId: string | undefined,
  publish: (headers: TraceHeaders | undefined) => Promise<T>,
): Promise<T> {
  const parent = context.active();
  if (!trace.getSpan(parent)) return publish(undefined);
  const attributes = {
    'messaging.system': system,
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'publish',
    'messaging.destination.name': subject,
    ...(messageId ? { 'messaging.message.id': messageId } : {}),
  };
  return tracer.startActiveSpan(`publish ${subject}`, { kind: SpanKind.PRODUCER, attributes }, parent, async (span) => {
    const headers: TraceHeaders = {};
    propagation.inject(context.active(), headers);
    try {
      return await publish(headers);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Where a consumer's span comes from: the subscriber's context and the message's trace headers. */
export interface ConsumeTrace {
  system: MessagingSystem;
  /** The context subscribe() was called in (the one-process platform names the service there). */
  subscriberContext: Context;
  headers?: TraceHeaders;
}

/**
 * Runs a handler in a CONSUMER span (`process <subject>`), child of the publisher's span when the
 * message carried one (else the start of a trace), in the subscriber's context (not whichever
 * publish happened to wake the consumer up). With tracing off (no propagator registered) the
 * handler runs as it is.
 */
export function consumeInSpan<T>(
  traced: ConsumeTrace,
  subject: string,
  details: { consumer?: string; messageId: string; deliveries?: number },
  handle: () => Promise<T>,
): Promise<T> {
  // Tracing off registers no propagator (nor context manager): the no-op span's contexts and
  // attributes, made for every message, would only be garbage (and some of it survived scavenges).
  if (propagation.fields().length === 0) return handle();
  const base = trace.deleteSpan(traced.subscriberContext);
  const parent = traced.headers ? propagation.extract(base, traced.headers) : base;
  const attributes = {
    'messaging.system': traced.system,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': subject,
    'messaging.message.id': details.messageId,
    ...(details.consumer ? { 'messaging.consumer.group.name': details.consumer } : {}),
    ...(details.deliveries ? { 'messaging.message.delivery_count': details.deliveries } : {}),
  };
  return tracer.startActiveSpan(`process ${subject}`, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      return await handle();
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

function failSpan(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(err) });
}

export type DeliveryOutcome = { action: 'ack' } | { action: 'retry'; delayMs: number } | { action: 'dead-letter'; error: string };

export interface DeliveryAttempt<S extends DurableSubject> {
  subject: S;
  raw: string;
  /** 1 on first delivery; counts every redelivery (handler errors and ack timeouts alike). */
  deliveries: number;
  durable: string;
  handler: Handler<S>;
  options: ResolvedSubscribeOptions;
  logger: EventLogger;
  /** The consumer span's parent and service (consumeInSpan). */
  trace: ConsumeTrace;
}

/** Decides what happens to one delivered message; the caller applies the outcome (ack/nak/dead-letter). */
export async function attemptDelivery<S extends DurableSubject>(attempt: DeliveryAttempt<S>): Promise<DeliveryOutcome> {
  const { subject, deliveries, durable, options, logger } = attempt;
  const decoded = decodeEnvelope(subject, attempt.raw);
  // Poison messages never succeed, so retrying them only delays the messages behind them.
  if (!decoded.ok) return { action: 'dead-letter', error: decoded.error };
  // Only reachable when earlier deliveries timed out instead of failing (or dead-lettering failed).
  if (deliveries > options.maxDeliver) {
    return {
      action: 'dead-letter',
      error: `no successful handler run in ${options.maxDeliver} deliveries (ack wait ${options.ackWaitMs} ms)`,
    };
  }
  try {
    const envelope = decoded.envelope;
    await consumeInSpan(attempt.trace, subject, { consumer: durable, messageId: envelope.id, deliveries }, () => attempt.handler(envelope));
    return { action: 'ack' };
  } catch (err) {
    const error = describeError(err);
    if (deliveries >= options.maxDeliver) {
      return { action: 'dead-letter', error: `handler failed ${deliveries} times, last error: ${error}` };
    }
    logger.warn({ subject, durable, eventId: decoded.envelope.id, deliveries, err }, 'event handler failed, will retry');
    return { action: 'retry', delayMs: options.backoffMs };
  }
}

export function buildDeadLetter(fields: Omit<DeadLetter, 'failedAt'>): DeadLetter {
  return { ...fields, failedAt: new Date().toISOString() };
}

/** Counts what one bus instance dead-lettered, by subject and consumer (the `events_dead_lettered_total` figures). */
export class DeadLetterCounter {
  private readonly counts = new Map<string, DeadLetteredCount>();
  add(subject: string, consumer: string): void {
    const key = `${subject} ${consumer}`;
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { subject, consumer, count: 1 });
  }
  list(): DeadLetteredCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }
}

export const DEFAULT_DEAD_LETTER_LIST_LIMIT = 1_000;

export function resolveListOptions(opts: ListDeadLettersOptions = {}): { subject?: string; limit: number } {
  const limit = opts.limit ?? DEFAULT_DEAD_LETTER_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new EventBusConfigError(`limit must be a positive integer, got ${limit}`);
  if (opts.subject !== undefined && !/^[a-z_]+(\.[a-z_]+)*$/.test(opts.subject)) {
    throw new EventBusConfigError(`subject "${opts.subject}" is not a subject name (e.g. users.user.deleted)`);
  }
  return { subject: opts.subject, limit };
}

/** A stored dead-letter body as listed: the parsed dead letter, or a placeholder naming what is wrong with it. */
export function toStoredDeadLetter(seq: number, storedAt: Date, body: string, fallbackSubject: string): StoredDeadLetter {
  const parsed = deadLetterSchema.safeParse(safeJsonParse(body));
  if (parsed.success) return { ...parsed.data, seq, storedAt: storedAt.toISOString() };
  // Written by hand (publishRaw) or by another tool: still listed, so it can be seen and discarded.
  return {
    subject: fallbackSubject,
    data: body,
    error: 'not a dead-letter record',
    consumer: '',
    deliveries: 0,
    failedAt: storedAt.toISOString(),
    seq,
    storedAt: storedAt.toISOString(),
  };
}

/** The publish id of a dead letter's replay: new for every dead letter, stable across retries of one replay. */
export function replayMsgId(seq: number): string {
  return `dlq-replay:${seq}`;
}

/**
 * What a replay of the stored dead letter `seq` publishes: its original message, verbatim, on its
 * original subject. Refuses (DeadLetterNotReplayableError) what would only be dead-lettered again:
 * a record that is not a dead letter, a subject that is no longer a durable one, a message that is
 * still not a valid event under the schemas this code has.
 */
export function prepareReplay(seq: number, body: string): { subject: DurableSubject; data: string; eventId: string; msgId: string } {
  const parsed = deadLetterSchema.safeParse(safeJsonParse(body));
  if (!parsed.success) throw new DeadLetterNotReplayableError(seq, 'the stored record is not a dead letter');
  const { subject, data } = parsed.data;
  if (!isDurableSubject(subject)) throw new DeadLetterNotReplayableError(seq, `${subject} is not a durable subject`);
  const decoded = decodeEnvelope(subject, data);
  if (!decoded.ok)
    throw new DeadLetterNotReplayableError(seq, `its message is still not a valid ${subject} event (${decoded.error}); discard it`);
  return { subject, data, eventId: decoded.envelope.id, msgId: replayMsgId(seq) };
}

/** Makes unsubscribe/close idempotent: later calls share the first call's promise. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}

import { setTimeout as sleep } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import {
  consumeInSpan,
  createEnvelope,
  DeadLetterCounter,
  decodeEnvelope,
  once,
  prepareReplay,
  type ResolvedSubscribeOptions,
  resolveListOptions,
  resolveSubscribeOptions,
  safeJsonParse,
  type TraceHeaders,
  toStoredDeadLetter,
  toText,
  tracedPublish,
} from './delivery.js';
import { DeadLetterNotFoundError, EventBusClosedError, EventPublishError, UnknownSubjectError } from './errors.js';
import {
  type BroadcastOptions,
  type ConnectionListener,
  DEDUPE_WINDOW_MS,
  type DeadLetteredCount,
  type DeadLetterHandler,
  type DeadLetterStats,
  type EventBus,
  type Handler,
  type ListDeadLettersOptions,
  type PublishOptions,
  type ReplayedDeadLetter,
  type StoredDeadLetter,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.js';
import { type EventLogger, silentLogger } from './logger.js';
import { MemoryDurable } from './memory-durable.js';
import {
  assertCatalogFitsStreams,
  type DurableSubject,
  deadLetterSchema,
  type FanoutSubject,
  isDurableSubject,
  isFanoutSubject,
  type PayloadOf,
} from './schemas.js';
import { DEAD_LETTER_DOMAIN, deadLetterSubject, domainOf, isStoredSubject } from './subjects.js';

export interface MemoryEventBusOptions {
  logger?: EventLogger;
  /** How long close() waits for running handlers before giving up on them. Default 10 000. */
  closeTimeoutMs?: number;
}

/** Durable messages kept per subject for `startAt: 'stored'` (the in-memory stand-in for stream retention). */
export const MEMORY_HISTORY_LIMIT = 10_000;

/** A dead letter as the in-memory store keeps it (the DLQ stream's message, with its sequence). */
interface StoredRecord {
  seq: number;
  /** The original subject (`users.user.deleted`), from the `dlq.<subject>` it was stored under. */
  subject: string;
  raw: string;
  storedAt: Date;
}

/** Delivers to one listener in order, never inside the caller's stack. */
class SerialListener {
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly deliver: (raw: string, trace?: TraceHeaders) => Promise<void>) {}
  push(raw: string, trace?: TraceHeaders): void {
    this.chain = this.chain.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => this.deliver(raw, trace));
  }
  idle(): Promise<void> {
    return this.chain;
  }
}

/**
 * In-process EventBus with the NATS bus's semantics, for the embedded single-process mode and tests.
 * Messages are kept as JSON strings so handlers never share (or mutate) the publisher's objects.
 */
export class MemoryEventBus implements EventBus {
  private readonly logger: EventLogger;
  private readonly closeTimeoutMs: number;
  private readonly durables = new Map<string, MemoryDurable>();
  private readonly recentMsgIds = new Map<string, number>();
  /** The dead-letter store, in sequence order (what the DLQ stream holds on NATS). */
  private readonly deadLetters: StoredRecord[] = [];
  private deadLetterSeq = 0;
  private readonly deadLettered = new DeadLetterCounter();
  /** Recent durable messages per subject, for durables that start at 'stored'. */
  private readonly history = new Map<string, string[]>();
  private readonly deadLetterListeners = new Set<SerialListener>();
  private readonly broadcastListeners = new Map<FanoutSubject, Set<SerialListener>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private closing?: Promise<void>;

  constructor(options: MemoryEventBusOptions = {}) {
    assertCatalogFitsStreams();
    this.logger = options.logger ?? silentLogger;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  }

  async publish<S extends DurableSubject>(subject: S, data: PayloadOf<S>, opts?: PublishOptions): Promise<void> {
    this.assertOpen();
    if (!isDurableSubject(subject)) throw new UnknownSubjectError(subject, 'durable');
    const envelope = createEnvelope(subject, data, opts?.msgId);
    await tracedPublish('memory', subject, envelope.id, async (trace) => this.store(subject, JSON.stringify(envelope), envelope.id, trace));
  }

  async publishRaw(subject: string, data: Uint8Array | string, opts?: PublishOptions): Promise<void> {
    this.assertOpen();
    // Same failure as JetStream when no stream captures the subject.
    if (!isStoredSubject(subject)) throw new EventPublishError(subject, { cause: new Error('no stream captures this subject') });
    this.store(subject, toText(data), opts?.msgId);
  }

  async subscribe<S extends DurableSubject>(subject: S, handler: Handler<S>, opts: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    if (!isDurableSubject(subject)) throw new UnknownSubjectError(subject, 'durable');
    const options = resolveSubscribeOptions(opts);
    return this.durableFor(subject, options).join(handler as Handler<DurableSubject>, context.active());
  }

  async broadcast<S extends FanoutSubject>(subject: S, data: PayloadOf<S>, opts?: BroadcastOptions): Promise<void> {
    this.assertOpen();
    if (!isFanoutSubject(subject)) throw new UnknownSubjectError(subject, 'fan-out');
    const envelope = createEnvelope(subject, data);
    const raw = JSON.stringify(envelope);
    const listeners = [...(this.broadcastListeners.get(subject) ?? [])];
    await tracedPublish('memory', subject, envelope.id, async (trace) => {
      for (const listener of listeners) listener.push(raw, trace);
    });
    if (opts?.confirm) await Promise.all(listeners.map((listener) => listener.idle()));
  }

  async onBroadcast<S extends FanoutSubject>(subject: S, handler: Handler<S>): Promise<Subscription> {
    this.assertOpen();
    if (!isFanoutSubject(subject)) throw new UnknownSubjectError(subject, 'fan-out');
    const subscriberContext = context.active();
    const listener = new SerialListener(async (raw, trace) => {
      const decoded = decodeEnvelope(subject, raw);
      if (!decoded.ok) {
        this.logger.warn({ subject, error: decoded.error }, 'dropping invalid broadcast');
        return;
      }
      const envelope = decoded.envelope;
      try {
        await consumeInSpan({ system: 'memory', subscriberContext, headers: trace }, subject, { messageId: envelope.id }, () =>
          handler(envelope),
        );
      } catch (err) {
        this.logger.error({ subject, err }, 'broadcast handler failed');
      }
    });
    const listeners = this.broadcastListeners.get(subject) ?? new Set();
    this.broadcastListeners.set(subject, listeners.add(listener));
    return {
      unsubscribe: once(async () => {
        listeners.delete(listener);
        await listener.idle();
      }),
    };
  }

  isConnected(): boolean {
    return !this.closing;
  }

  /** There is no connection to lose: the listener hears only the bus closing. */
  onConnectionChange(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  async subscribeDeadLetters(handler: DeadLetterHandler): Promise<Subscription> {
    this.assertOpen();
    const listener = new SerialListener(async (raw) => {
      const parsed = deadLetterSchema.safeParse(safeJsonParse(raw));
      if (!parsed.success) {
        this.logger.warn({ raw }, 'skipping malformed dead letter');
        return;
      }
      try {
        await handler(parsed.data);
      } catch (err) {
        this.logger.error({ err }, 'dead-letter handler failed');
      }
    });
    for (const record of this.deadLetters) listener.push(record.raw);
    this.deadLetterListeners.add(listener);
    return {
      unsubscribe: once(async () => {
        this.deadLetterListeners.delete(listener);
        await listener.idle();
      }),
    };
  }

  async deadLetterStats(): Promise<DeadLetterStats> {
    this.assertOpen();
    const storedBySubject: Record<string, number> = {};
    for (const { subject } of this.deadLetters) storedBySubject[subject] = (storedBySubject[subject] ?? 0) + 1;
    return { stored: this.deadLetters.length, storedBySubject };
  }

  deadLetteredCounts(): DeadLetteredCount[] {
    return this.deadLettered.list();
  }

  async listDeadLetters(opts?: ListDeadLettersOptions): Promise<StoredDeadLetter[]> {
    this.assertOpen();
    const { subject, limit } = resolveListOptions(opts);
    return this.deadLetters
      .filter((record) => subject === undefined || record.subject === subject)
      .slice(0, limit)
      .map((record) => toStoredDeadLetter(record.seq, record.storedAt, record.raw, record.subject));
  }

  async replayDeadLetter(seq: number): Promise<ReplayedDeadLetter> {
    this.assertOpen();
    const record = this.deadLetters.find((r) => r.seq === seq);
    if (!record) throw new DeadLetterNotFoundError(seq);
    const replay = prepareReplay(seq, record.raw);
    this.store(replay.subject, replay.data, replay.msgId);
    this.removeDeadLetter(seq);
    this.logger.info({ seq, subject: replay.subject, eventId: replay.eventId }, 'dead letter replayed');
    return { seq, subject: replay.subject, eventId: replay.eventId, msgId: replay.msgId };
  }

  async discardDeadLetter(seq: number): Promise<void> {
    this.assertOpen();
    this.removeDeadLetter(seq);
    this.logger.info({ seq }, 'dead letter discarded');
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    return this.closing ? { ok: false, detail: 'event bus is closed' } : { ok: true };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const listener of this.connectionListeners) notify(listener, false, this.logger);
    this.connectionListeners.clear();
    for (const durable of this.durables.values()) durable.stop();
    const running = Promise.allSettled([
      ...this.inFlight,
      ...[...this.deadLetterListeners].map((l) => l.idle()),
      ...[...this.broadcastListeners.values()].flatMap((set) => [...set].map((l) => l.idle())),
    ]);
    const timedOut = await Promise.race([running.then(() => false), sleep(this.closeTimeoutMs, true, { ref: false })]);
    if (timedOut) this.logger.warn({ timeoutMs: this.closeTimeoutMs }, 'closed event bus with handlers still running');
  }

  private assertOpen(): void {
    if (this.closing) throw new EventBusClosedError();
  }

  /** The in-memory equivalent of a JetStream publish: dedupe, then append to every matching queue. */
  private store(subject: string, raw: string, msgId: string | undefined, trace?: TraceHeaders): void {
    if (msgId !== undefined && this.isDuplicate(msgId)) {
      this.logger.debug({ subject, msgId }, 'duplicate publish dropped');
      return;
    }
    if (domainOf(subject) === DEAD_LETTER_DOMAIN) {
      this.recordDeadLetter(subject.slice(DEAD_LETTER_DOMAIN.length + 1), raw);
      return;
    }
    if (isDurableSubject(subject)) {
      let history = this.history.get(subject);
      if (!history) this.history.set(subject, (history = []));
      history.push(raw);
      if (history.length > MEMORY_HISTORY_LIMIT) history.shift();
    }
    for (const durable of this.durables.values()) if (durable.subject === subject) durable.enqueue(raw, trace);
  }

  private isDuplicate(msgId: string): boolean {
    const now = Date.now();
    // Insertion order is expiry order (fixed window), so expired ids are always at the front.
    for (const [id, expiresAt] of this.recentMsgIds) {
      if (expiresAt > now) break;
      this.recentMsgIds.delete(id);
    }
    if (this.recentMsgIds.has(msgId)) return true;
    this.recentMsgIds.set(msgId, now + DEDUPE_WINDOW_MS);
    return false;
  }

  private recordDeadLetter(subject: string, raw: string): void {
    this.deadLetters.push({ seq: ++this.deadLetterSeq, subject, raw, storedAt: new Date() });
    for (const listener of this.deadLetterListeners) listener.push(raw);
  }

  private removeDeadLetter(seq: number): void {
    const index = this.deadLetters.findIndex((r) => r.seq === seq);
    if (index < 0) throw new DeadLetterNotFoundError(seq);
    this.deadLetters.splice(index, 1);
  }

  private durableFor(subject: DurableSubject, options: ResolvedSubscribeOptions): MemoryDurable {
    const key = `${subject} ${options.durable}`;
    const existing = this.durables.get(key);
    if (existing) {
      existing.update(options);
      return existing;
    }
    // Like a JetStream durable created with DeliverPolicy.All: what is still kept comes first.
    const stored = options.startAt === 'stored' ? [...(this.history.get(subject) ?? [])] : [];
    const durable = new MemoryDurable(subject, options, stored, {
      logger: this.logger,
      closing: () => !!this.closing,
      inFlight: this.inFlight,
      deadLetter: (original, consumer, deadLetter) => {
        this.store(deadLetterSubject(original), deadLetter, undefined);
        this.deadLettered.add(original, consumer);
      },
    });
    this.durables.set(key, durable);
    return durable;
  }
}

/** A listener that throws must not keep the others (or the bus) from going on. */
function notify(listener: ConnectionListener, connected: boolean, logger: EventLogger): void {
  try {
    listener(connected);
  } catch (err) {
    logger.error({ err }, 'connection listener failed');
  }
}

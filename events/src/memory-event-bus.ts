import { setTimeout as sleep } from 'node:timers/promises';
import { type Context, context } from '@opentelemetry/api';
import {
  attemptDelivery,
  buildDeadLetter,
  consumeInSpan,
  createEnvelope,
  DeadLetterCounter,
  type DeliveryOutcome,
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

interface QueuedMessage {
  raw: string;
  /** The publisher's trace (tracedPublish), when it published inside one. */
  trace?: TraceHeaders;
  deliveries: number;
  /** Epoch ms before which the message must not be redelivered (backoff). */
  availableAt: number;
}

interface Member {
  handler: Handler<DurableSubject>;
  /** The context subscribe() was called in: its consumer spans start there (consumeInSpan). */
  context: Context;
  busy: boolean;
  current?: Promise<void>;
}

/** The in-memory counterpart of a JetStream durable consumer: one queue, competing members. */
interface DurableGroup {
  subject: DurableSubject;
  durable: string;
  options: ResolvedSubscribeOptions;
  queue: QueuedMessage[];
  members: Member[];
  nextMember: number;
  /** Deliveries whose handler still runs (members that left included): what `serial` waits for. */
  active: number;
  pumpScheduled: boolean;
  timer?: NodeJS.Timeout;
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
  private readonly groups = new Map<string, DurableGroup>();
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
    const group = this.groupFor(subject, options);
    const member: Member = { handler: handler as Handler<DurableSubject>, context: context.active(), busy: false };
    group.members.push(member);
    this.schedulePump(group);
    return {
      unsubscribe: once(async () => {
        // The group (and its queue) outlives its members, like a durable consumer.
        group.members = group.members.filter((m) => m !== member);
        await member.current;
      }),
    };
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
    for (const group of this.groups.values()) clearTimeout(group.timer);
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
    for (const group of this.groups.values()) {
      if (group.subject !== subject) continue;
      group.queue.push({ raw, trace, deliveries: 0, availableAt: 0 });
      this.schedulePump(group);
    }
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

  private groupFor(subject: DurableSubject, options: ResolvedSubscribeOptions): DurableGroup {
    const key = `${subject} ${options.durable}`;
    const existing = this.groups.get(key);
    if (existing) {
      existing.options = options; // create-or-update, like the JetStream consumer
      return existing;
    }
    const group: DurableGroup = {
      subject,
      durable: options.durable,
      options,
      // Like a JetStream durable created with DeliverPolicy.All: what is still kept comes first.
      queue: options.startAt === 'stored' ? (this.history.get(subject) ?? []).map((raw) => ({ raw, deliveries: 0, availableAt: 0 })) : [],
      members: [],
      nextMember: 0,
      active: 0,
      pumpScheduled: false,
    };
    this.groups.set(key, group);
    return group;
  }

  private schedulePump(group: DurableGroup): void {
    if (group.pumpScheduled || this.closing) return;
    group.pumpScheduled = true;
    setImmediate(() => {
      group.pumpScheduled = false;
      this.pump(group);
    });
  }

  /** Hands every ready message to an idle member; re-arms a timer for messages still in backoff. */
  private pump(group: DurableGroup): void {
    if (this.closing) return;
    if (group.options.serial) {
      this.pumpSerial(group);
      return;
    }
    const now = Date.now();
    let nextAvailableAt = Infinity;
    for (let i = 0; i < group.queue.length; ) {
      const message = group.queue[i]!;
      if (message.availableAt > now) {
        nextAvailableAt = Math.min(nextAvailableAt, message.availableAt);
        i++;
        continue;
      }
      const member = this.nextIdleMember(group);
      if (!member) break; // a member finishing re-runs the pump
      group.queue.splice(i, 1);
      this.deliver(group, member, message);
    }
    clearTimeout(group.timer);
    group.timer = undefined;
    if (nextAvailableAt !== Infinity) {
      group.timer = setTimeout(() => this.schedulePump(group), nextAvailableAt - now);
    }
  }

  /** Like a JetStream consumer with max_ack_pending 1: the head of the queue only, and only when nothing is in flight. */
  private pumpSerial(group: DurableGroup): void {
    clearTimeout(group.timer);
    group.timer = undefined;
    const head = group.queue[0];
    if (!head || group.active > 0) return;
    const wait = head.availableAt - Date.now();
    if (wait > 0) {
      group.timer = setTimeout(() => this.schedulePump(group), wait);
      return;
    }
    const member = this.nextIdleMember(group);
    if (!member) return;
    group.queue.shift();
    this.deliver(group, member, head);
  }

  private nextIdleMember(group: DurableGroup): Member | undefined {
    const count = group.members.length;
    for (let step = 0; step < count; step++) {
      const index = (group.nextMember + step) % count;
      const member = group.members[index]!;
      if (!member.busy) {
        group.nextMember = index + 1;
        return member;
      }
    }
    return undefined;
  }

  private deliver(group: DurableGroup, member: Member, message: QueuedMessage): void {
    member.busy = true;
    group.active++;
    message.deliveries++;
    const { options } = group;
    const handlerRuns: Promise<unknown>[] = [];
    // Emulates ack wait: a handler that outlives it counts as a failed attempt.
    const handler: Handler<DurableSubject> = (event) => {
      const run = Promise.resolve().then(() => member.handler(event));
      handlerRuns.push(run.catch(() => {}));
      return withTimeout(run, options.ackWaitMs, `handler did not finish within ack wait (${options.ackWaitMs} ms)`);
    };
    const work = (async () => {
      const outcome = await attemptDelivery({
        subject: group.subject,
        raw: message.raw,
        deliveries: message.deliveries,
        durable: group.durable,
        handler,
        options,
        logger: this.logger,
        trace: { system: 'memory', subscriberContext: member.context, headers: message.trace },
      });
      this.settle(group, message, outcome);
      // The member stays busy while a timed-out handler still runs, as a sequential consume loop would.
      await Promise.all(handlerRuns);
    })()
      .catch((err) => this.logger.error({ err, subject: group.subject }, 'event delivery failed'))
      .finally(() => {
        member.busy = false;
        group.active--;
        member.current = undefined;
        this.inFlight.delete(work);
        this.schedulePump(group);
      });
    member.current = work;
    this.inFlight.add(work);
  }

  private settle(group: DurableGroup, message: QueuedMessage, outcome: DeliveryOutcome): void {
    switch (outcome.action) {
      case 'ack':
        return;
      case 'retry':
        message.availableAt = Date.now() + outcome.delayMs;
        group.queue.unshift(message);
        this.schedulePump(group);
        return;
      case 'dead-letter': {
        const deadLetter = buildDeadLetter({
          subject: group.subject,
          data: message.raw,
          error: outcome.error,
          consumer: group.durable,
          deliveries: message.deliveries,
        });
        this.logger.warn({ subject: group.subject, durable: group.durable, error: outcome.error }, 'event dead-lettered');
        this.store(deadLetterSubject(group.subject), JSON.stringify(deadLetter), undefined);
        this.deadLettered.add(group.subject, group.durable);
        return;
      }
    }
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

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import type { DeadLetter, DurableSubject, FanoutSubject, PayloadOf, Subject } from './schemas.js';

export interface EventEnvelope<S extends Subject> {
  /** Unique event id; doubles as the publish dedupe id. */
  id: string;
  subject: S;
  occurredAt: string;
  data: PayloadOf<S>;
}

export interface PublishOptions {
  /** Dedupe id (and envelope id); defaults to a fresh uuid. Repeats within 2 minutes are dropped. */
  msgId?: string;
}

export interface SubscribeOptions {
  /**
   * Consumer name. Subscribers sharing a durable (on the same subject) compete: each message
   * goes to one of them. Different durables each get every message.
   */
  durable: string;
  /** Failed attempts before the message is dead-lettered to `dlq.<subject>`. Default 5. */
  maxDeliver?: number;
  /** Time a handler has before the message is redelivered. Default 30 000. */
  ackWaitMs?: number;
  /** Redelivery delay after a handler error. Default 500. */
  backoffMs?: number;
  /**
   * Where a durable seen for the first time starts: `new` (default) at the next message, so a
   * newly deployed service does not replay history; `stored` at the oldest message still kept
   * (JetStream: within the stream's max age; in memory: the last MEMORY_HISTORY_LIMIT per subject),
   * for read models that must also learn what happened before they existed. An existing durable
   * always resumes where it was.
   */
  startAt?: 'new' | 'stored';
  /**
   * One message in flight for the whole durable, across every subscriber (every replica), in
   * stream order; a failing message holds back the ones behind it until it is acked or
   * dead-lettered. For conversations whose steps must apply in order. Default false: each
   * subscriber handles one message at a time, but replicas work in parallel.
   */
  serial?: boolean;
}

export const subscribeDefaults = { maxDeliver: 5, ackWaitMs: 30_000, backoffMs: 500, startAt: 'new', serial: false } as const;

/** Dedupe window shared by both implementations (the JetStream stream's duplicate_window). */
export const DEDUPE_WINDOW_MS = 2 * 60_000;

export type Handler<S extends Subject> = (event: EventEnvelope<S>) => Promise<void>;
export type DeadLetterHandler = (deadLetter: DeadLetter) => Promise<void> | void;

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface EventBus {
  /** Validates `data` (throws InvalidEventError) and stores the event durably. */
  publish<S extends DurableSubject>(subject: S, data: PayloadOf<S>, opts?: PublishOptions): Promise<void>;
  /** Handlers are acked only after they resolve; a throw means redelivery after backoff. */
  subscribe<S extends DurableSubject>(subject: S, handler: Handler<S>, opts: SubscribeOptions): Promise<Subscription>;
  /** Fire-and-forget to every current onBroadcast subscriber (no storage, no retries). */
  broadcast<S extends FanoutSubject>(subject: S, data: PayloadOf<S>): Promise<void>;
  onBroadcast<S extends FanoutSubject>(subject: S, handler: Handler<S>): Promise<Subscription>;
  /** Unvalidated publish, for tests and tools that must send a malformed message on purpose. */
  publishRaw(subject: string, data: Uint8Array | string, opts?: PublishOptions): Promise<void>;
  /** Replays stored dead letters, then follows new ones. */
  subscribeDeadLetters(handler: DeadLetterHandler): Promise<Subscription>;
  health(): Promise<{ ok: boolean; detail?: string }>;
  /** Stops subscriptions (waiting for running handlers) and disconnects. Idempotent. */
  close(): Promise<void>;
}

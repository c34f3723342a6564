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

export interface BroadcastOptions {
  /**
   * Resolve only once the message is on its way to every current subscriber: on NATS once the
   * server has answered a round trip sent after it (it has passed the message on by then), in
   * process once every listener has handled it. For a sender that says "done" right after (a
   * revocation), so a client's next request is unlikely to overtake the message. Default false.
   */
  confirm?: boolean;
}

/** Called with false when the bus loses its server, with true once it is back (see EventBus.onConnectionChange). */
export type ConnectionListener = (connected: boolean) => void;

export const subscribeDefaults = { maxDeliver: 5, ackWaitMs: 30_000, backoffMs: 500, startAt: 'new', serial: false } as const;

/** Dedupe window shared by both implementations (the JetStream stream's duplicate_window). */
export const DEDUPE_WINDOW_MS = 2 * 60_000;

/** A dead letter as it is stored, with what an operator needs to find and replay it. */
export interface StoredDeadLetter extends DeadLetter {
  /** Its position in the dead-letter store (the DLQ stream's sequence): what replay and discard take. */
  seq: number;
  /** When it was stored (ISO 8601). */
  storedAt: string;
}

export interface DeadLetterStats {
  /** Dead letters held right now in this namespace's dead-letter store (every service's together). */
  stored: number;
  /** The same by original subject (`users.user.deleted`); only subjects holding at least one. */
  storedBySubject: Record<string, number>;
}

/** Messages this bus instance dead-lettered since it started, for one subject and consumer (durable). */
export interface DeadLetteredCount {
  subject: string;
  consumer: string;
  count: number;
}

export interface ListDeadLettersOptions {
  /** Only the dead letters of this original subject (`users.user.deleted`). */
  subject?: string;
  /** At most this many, oldest first. Default 1 000. */
  limit?: number;
}

/** What a replay did: the dead letter `seq` went back to `subject` as a new message `msgId`. */
export interface ReplayedDeadLetter {
  seq: number;
  subject: string;
  /** The replayed event's envelope id (unchanged, so idempotent handlers still recognise it). */
  eventId: string;
  /** The publish (dedupe) id of the replay, new for each dead letter. */
  msgId: string;
}

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
  broadcast<S extends FanoutSubject>(subject: S, data: PayloadOf<S>, opts?: BroadcastOptions): Promise<void>;
  onBroadcast<S extends FanoutSubject>(subject: S, handler: Handler<S>): Promise<Subscription>;
  /**
   * Whether the bus is connected to its server now (the in-process bus: until it is closed). A
   * broadcast sent while this process is disconnected never reaches it.
   */
  isConnected(): boolean;
  /**
   * Calls `listener(false)` when the connection drops (or the bus closes), `listener(true)` once it
   * is back and this process's broadcast subscriptions are in place again. For holders of state
   * kept current by broadcasts (the revocation list): on false they stop trusting it, on true
   * they reload it. Returns the function that stops the calls.
   */
  onConnectionChange(listener: ConnectionListener): () => void;
  /** Unvalidated publish, for tests and tools that must send a malformed message on purpose. */
  publishRaw(subject: string, data: Uint8Array | string, opts?: PublishOptions): Promise<void>;
  /** Reads the stored dead letters, then follows new ones (reading removes nothing). */
  subscribeDeadLetters(handler: DeadLetterHandler): Promise<Subscription>;
  /**
   * How many dead letters the store holds now (asks the server: callers on a scrape path bound
   * it with a timeout). Rejects when the store cannot be reached.
   */
  deadLetterStats(): Promise<DeadLetterStats>;
  /** What this instance dead-lettered since it started, by subject and consumer; local, never waits. */
  deadLetteredCounts(): DeadLetteredCount[];
  /** The stored dead letters, oldest first. */
  listDeadLetters(opts?: ListDeadLettersOptions): Promise<StoredDeadLetter[]>;
  /**
   * Publishes the dead letter's original message, verbatim (same envelope and event id), to its
   * original subject under a new publish id, then removes it from the store. Every durable of that
   * subject receives it again (handlers must be idempotent by event id, as for any redelivery).
   * Rejects with DeadLetterNotFoundError for an unknown `seq`, and with DeadLetterNotReplayableError
   * (keeping the dead letter) when its message is still not a valid event of a known subject.
   */
  replayDeadLetter(seq: number): Promise<ReplayedDeadLetter>;
  /** Removes a dead letter without replaying it (DeadLetterNotFoundError for an unknown `seq`). */
  discardDeadLetter(seq: number): Promise<void>;
  health(): Promise<{ ok: boolean; detail?: string }>;
  /** Stops subscriptions (waiting for running handlers) and disconnects. Idempotent. */
  close(): Promise<void>;
}

import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type MsgHdrs, type NatsConnection, nanos, headers as natsHeaders } from '@nats-io/transport-node';
import { type Context, context } from '@opentelemetry/api';
import { connectCoalescing } from './coalescing-transport.js';
import {
  assertValidName,
  attemptDelivery,
  buildDeadLetter,
  consumeInSpan,
  createEnvelope,
  DeadLetterCounter,
  decodeEnvelope,
  describeError,
  once,
  prepareReplay,
  type ResolvedSubscribeOptions,
  resolveListOptions,
  resolveSubscribeOptions,
  safeJsonParse,
  type TraceHeaders,
  toStoredDeadLetter,
  tracedPublish,
} from './delivery.js';
import { DeadLetterNotFoundError, EventBusClosedError, EventBusConfigError, EventPublishError, UnknownSubjectError } from './errors.js';
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
import { quietRequestRelease } from './quiet-request-release.js';
import {
  assertCatalogFitsStreams,
  type DurableSubject,
  deadLetterSchema,
  type FanoutSubject,
  isDurableSubject,
  isFanoutSubject,
  type PayloadOf,
} from './schemas.js';
import { DEAD_LETTER_DOMAIN, deadLetterSubject, EVENT_STREAM_DOMAINS } from './subjects.js';

/** Lifetime of one pull request; idle consumers re-pull this often. */
const PULL_EXPIRES_MS = 5_000;
/** Messages one pull asks for (a non-serial durable's subscriber); see subscribe. */
const PULL_BATCH = 3;
export interface NatsEventBusOptions {
  /** One server or a list (`nats://host:4222`, `127.0.0.1:4222`). */
  url: string | string[];
  /**
   * Prefixes every subject (`<ns>.auth.user.registered`) and stream name (`<NS>_EVENTS`),
   * so tests can share one server in isolation.
   */
  namespace?: string;
  logger?: EventLogger;
  /** How long the EVENTS stream keeps a message. Default 7 days (DEFAULT_STREAM_MAX_AGE_MS says why). */
  streamMaxAgeMs?: number;
  /** How long the DLQ stream keeps a dead letter. Default 14 days (DEFAULT_DEAD_LETTER_MAX_AGE_MS says why). */
  deadLetterMaxAgeMs?: number;
  /**
   * Copies of each stream (and of each durable consumer's state, which follows its stream) kept
   * by a JetStream cluster: 1 for a single server (the default), 3 for a three-node cluster
   * (survives one node down), 5 at most. Applied to existing streams at connect. A server that
   * cannot hold that many copies makes connect fail. Env NATS_STREAM_REPLICAS.
   */
  replicas?: number;
  /**
   * Default true: create the streams, or bring existing ones to these settings. False for tools
   * (the dlq script) that must not change a deployment's streams: they must exist already.
   */
  manageStreams?: boolean;
  /** Connection name shown in the server's monitoring endpoints. */
  connectionName?: string;
}

/**
 * nats.js ignores credentials in a server URL, so NATS_URL could not carry them the way
 * REDIS_URL does: take `user:pass@` (or a lone `token@`) out of the URLs (comma-separated or a
 * list) and hand it over as connection options.
 */
export function natsConnectOptions(url: string | string[]): { servers: string[]; user?: string; pass?: string; token?: string } {
  const entries = (Array.isArray(url) ? url : [url])
    .flatMap((u) => u.split(','))
    .map((u) => u.trim())
    .filter(Boolean);
  let auth: { user?: string; pass?: string; token?: string } | undefined;
  const servers = entries.map((entry) => {
    const match = /^([a-z]+:\/\/)([^@/]*)@(.+)$/i.exec(entry);
    if (!match) return entry;
    const [, scheme, userinfo, rest] = match;
    const colon = userinfo.indexOf(':');
    const found =
      colon < 0
        ? { token: decodeURIComponent(userinfo) }
        : { user: decodeURIComponent(userinfo.slice(0, colon)), pass: decodeURIComponent(userinfo.slice(colon + 1)) };
    if (auth && (auth.user !== found.user || auth.pass !== found.pass || auth.token !== found.token)) {
      throw new EventBusConfigError('every NATS server URL must carry the same credentials');
    }
    auth = found;
    return scheme + rest;
  });
  return { servers, ...auth };
}

const DAY_MS = 24 * 60 * 60_000;
/**
 * EVENTS keeps a message 7 days, whether or not it was consumed. A durable resumes where it
 * stopped, so this is how long a consumer (a whole service) may be down, or stuck behind a
 * poison message, and still catch up without loss; it is also the history a new read model
 * (`startAt: 'stored'`) can rebuild from. Beyond it the disk is better spent elsewhere: every
 * service keeps its own state in Postgres, the stream is transport, not the record.
 */
export const DEFAULT_STREAM_MAX_AGE_MS = 7 * DAY_MS;
/**
 * DLQ keeps a dead letter 14 days. A dead letter waits for a person: the alert fires, someone
 * finds the cause, ships a fix and replays it. Two weeks covers a holiday of the one person who
 * knows that consumer plus a release cycle, and outlives EVENTS' 7 days (a dead letter carries
 * its message verbatim, so it can be replayed after the stream dropped the original). Not
 * forever: payloads hold personal data (emails, user ids) that account erasure cannot reach here.
 */
export const DEFAULT_DEAD_LETTER_MAX_AGE_MS = 14 * DAY_MS;
/** JetStream's own ceiling for stream replicas. */
const MAX_REPLICAS = 5;
/** JetStream's own default for pull consumers, restated so a durable can go back from serial. */
const DEFAULT_MAX_ACK_PENDING = 1_000;
const JS_API_TIMEOUT_MS = 5_000;

// Server error codes for "exists with a different config" (create must become update).
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_ALREADY_EXISTS = 10148;
const CONSUMER_NAME_IN_USE = 10013;
const STREAM_NOT_FOUND = 10059;
const NO_MESSAGE_FOUND = 10057;
const NO_MESSAGE_FOUND_GET = 10037;

export class NatsEventBus implements EventBus {
  private readonly js: JetStreamClient;
  private readonly prefix: string;
  private readonly subscriptions = new Set<Subscription>();
  private readonly deadLettered = new DeadLetterCounter();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private connected = true;
  private closing?: Promise<void>;

  readonly eventsStream: string;
  readonly deadLetterStream: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly namespace: string | undefined,
    private readonly logger: EventLogger,
  ) {
    this.js = jsm.jetstream();
    this.prefix = namespace ? `${namespace}.` : '';
    const streamPrefix = namespace ? `${namespace.toUpperCase()}_` : '';
    this.eventsStream = `${streamPrefix}EVENTS`;
    this.deadLetterStream = `${streamPrefix}DLQ`;
    this.watchConnection();
  }

  /** Connects and creates (or updates) the EVENTS and DLQ streams. */
  static async connect(options: NatsEventBusOptions): Promise<NatsEventBus> {
    if (options.namespace !== undefined) assertValidName('namespace', options.namespace);
    const replicas = options.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
      throw new EventBusConfigError(`replicas must be an integer from 1 to ${MAX_REPLICAS}, got ${replicas}`);
    }
    assertCatalogFitsStreams();
    const logger = options.logger ?? silentLogger;
    if (!quietRequestRelease())
      logger.warn({}, 'nats.js RequestOne has changed shape: requests keep building a cancel error on every answer');
    const nc = await connectCoalescing({
      ...natsConnectOptions(options.url),
      name: options.connectionName,
      maxReconnectAttempts: -1, // a service should ride out broker restarts, not die
      // Otherwise every request and JetStream publish captures a stack trace in advance (~3% of a
      // saga service's CPU under load); the price is a shorter stack on a timeout error.
      noAsyncTraces: true,
    });
    try {
      const jsm = await jetstreamManager(nc, { timeout: JS_API_TIMEOUT_MS });
      const bus = new NatsEventBus(nc, jsm, options.namespace, logger);
      if (options.manageStreams ?? true) {
        await bus.ensureStreams({
          eventsMaxAgeMs: options.streamMaxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS,
          deadLetterMaxAgeMs: options.deadLetterMaxAgeMs ?? DEFAULT_DEAD_LETTER_MAX_AGE_MS,
          replicas,
        });
      } else {
        await bus.assertStreamsExist();
      }
      logger.info({ server: nc.getServer(), streams: [bus.eventsStream, bus.deadLetterStream], replicas }, 'event bus connected');
      return bus;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  async publish<S extends DurableSubject>(subject: S, data: PayloadOf<S>, opts?: PublishOptions): Promise<void> {
    this.assertOpen();
    if (!isDurableSubject(subject)) throw new UnknownSubjectError(subject, 'durable');
    const envelope = createEnvelope(subject, data, opts?.msgId);
    await tracedPublish('nats', subject, envelope.id, (trace) => this.jsPublish(subject, JSON.stringify(envelope), envelope.id, trace));
  }

  async publishRaw(subject: string, data: Uint8Array | string, opts?: PublishOptions): Promise<void> {
    this.assertOpen();
    await this.jsPublish(subject, data, opts?.msgId);
  }

  async subscribe<S extends DurableSubject>(subject: S, handler: Handler<S>, opts: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    if (!isDurableSubject(subject)) throw new UnknownSubjectError(subject, 'durable');
    const options = resolveSubscribeOptions(opts);
    const subscriberContext = context.active();
    const consumerName = consumerNameFor(options.durable, subject);
    // Consumer settings, each on purpose (README "Event durability and dead letters"). Left unset
    // on purpose: num_replicas (0 = the stream's, and it follows the stream when that is scaled),
    // mem_storage (consumer state on file, like the stream), inactive_threshold (a durable never
    // expires while its service is down: its backlog waits for it).
    await this.ensureConsumer({
      durable_name: consumerName,
      filter_subject: this.wire(subject),
      // Acked only once the handler resolved: a crash mid-handler means redelivery, never loss.
      ack_policy: AckPolicy.Explicit,
      // A brand-new durable starts at "now" unless asked otherwise: deploying a new service must
      // not replay a week of history (read models ask for it: startAt 'stored').
      deliver_policy: options.startAt === 'stored' ? DeliverPolicy.All : DeliverPolicy.New,
      // Default 30 s: far above what a handler (one transaction and a publish) takes, so a slow
      // handler is not handled twice at once, yet a replica that died holding a message hands it
      // on within half a minute.
      ack_wait: nanos(options.ackWaitMs),
      // Default 5 attempts (500 ms apart, the nak delay): enough for a database failover or a
      // deadlock to pass, few enough that a poison message reaches the DLQ (and an operator)
      // within seconds rather than blocking a serial durable. One spare delivery so a message
      // whose last attempt timed out still reaches us to be dead-lettered rather than dropped
      // silently by the server.
      max_deliver: options.maxDeliver + 1,
      // Serial: the server hands out the next message only once this one is acked (a nak'd one stays pending).
      max_ack_pending: options.serial ? 1 : DEFAULT_MAX_ACK_PENDING,
    });
    const consumer = await this.js.consumers.get(this.eventsStream, consumerName);
    // Handlers run one at a time. A pull asks for PULL_BATCH messages and the next one goes out
    // once one is left: under load one pull request per two messages instead of one per message
    // (each is a socket write in this process and a request the server handles). Few, so that the
    // messages buffered behind a handler that runs into its database's timeouts (12 s) stay within
    // their ack wait (30 s); a serial durable pulls one.
    // Short pulls: after a 409 status nats.js stalls until two idle heartbeats are missed
    // (heartbeat = expires / 2), so the default 30 s pull could hold a saga step for 30 s.
    const batch = options.serial ? 1 : PULL_BATCH;
    const messages = await consumer.consume({ max_messages: batch, threshold_messages: 1, expires: PULL_EXPIRES_MS });
    let stopping = false;
    const loop = (async () => {
      for await (const msg of messages) {
        if (stopping) {
          msg.nak(); // already pulled but not started: hand it back for another subscriber now
          continue;
        }
        await this.handleDelivery(msg, subject, handler, options, subscriberContext);
      }
    })().catch((err) => this.logger.error({ err, subject, durable: options.durable }, 'event consumer stopped'));
    this.watchConsumerStatus(messages, subject, options.durable);

    const subscription: Subscription = {
      unsubscribe: once(async () => {
        stopping = true;
        await messages.close();
        await loop;
        this.subscriptions.delete(subscription);
      }),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async broadcast<S extends FanoutSubject>(subject: S, data: PayloadOf<S>, opts?: BroadcastOptions): Promise<void> {
    this.assertOpen();
    if (!isFanoutSubject(subject)) throw new UnknownSubjectError(subject, 'fan-out');
    const envelope = createEnvelope(subject, data);
    await tracedPublish('nats', subject, envelope.id, async (trace) => {
      try {
        this.nc.publish(this.wire(subject), JSON.stringify(envelope), trace ? { headers: toNatsHeaders(trace) } : undefined);
        // The server answers the flush's PING only after it has handed the message to its subscribers.
        if (opts?.confirm) await this.nc.flush();
      } catch (err) {
        throw new EventPublishError(subject, { cause: err });
      }
    });
  }

  async onBroadcast<S extends FanoutSubject>(subject: S, handler: Handler<S>): Promise<Subscription> {
    this.assertOpen();
    if (!isFanoutSubject(subject)) throw new UnknownSubjectError(subject, 'fan-out');
    // No queue group: every replica must see every invalidation.
    const sub = this.nc.subscribe(this.wire(subject));
    const subscriberContext = context.active();
    const loop = (async () => {
      for await (const msg of sub) {
        const decoded = decodeEnvelope(subject, msg.string());
        if (!decoded.ok) {
          this.logger.warn({ subject, error: decoded.error }, 'dropping invalid broadcast');
          continue;
        }
        const envelope = decoded.envelope;
        try {
          await consumeInSpan(
            { system: 'nats', subscriberContext, headers: fromNatsHeaders(msg.headers) },
            subject,
            { messageId: envelope.id },
            () => handler(envelope),
          );
        } catch (err) {
          this.logger.error({ subject, err }, 'broadcast handler failed');
        }
      }
    })();
    // Resolve only once the server knows the interest, so a broadcast sent right after is received.
    await this.nc.flush();
    const subscription: Subscription = {
      unsubscribe: once(async () => {
        sub.unsubscribe();
        await loop;
        this.subscriptions.delete(subscription);
      }),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  isConnected(): boolean {
    return this.connected && !this.closing && !this.nc.isClosed();
  }

  onConnectionChange(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  async subscribeDeadLetters(handler: DeadLetterHandler): Promise<Subscription> {
    this.assertOpen();
    // An ordered (ephemeral, ack-less) consumer: reading dead letters must not consume them.
    const consumer = await this.js.consumers.get(this.deadLetterStream);
    const messages = await consumer.consume();
    const loop = (async () => {
      for await (const msg of messages) {
        const parsed = deadLetterSchema.safeParse(safeJsonParse(msg.string()));
        if (!parsed.success) {
          this.logger.warn({ subject: msg.subject }, 'skipping malformed dead letter');
          continue;
        }
        try {
          await handler(parsed.data);
        } catch (err) {
          this.logger.error({ err }, 'dead-letter handler failed');
        }
      }
    })().catch((err) => this.logger.error({ err }, 'dead-letter reader stopped'));
    const subscription: Subscription = {
      unsubscribe: once(async () => {
        await messages.close();
        await loop;
        this.subscriptions.delete(subscription);
      }),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async deadLetterStats(): Promise<DeadLetterStats> {
    this.assertOpen();
    const prefix = this.wire(`${DEAD_LETTER_DOMAIN}.`);
    const info = await this.jsm.streams.info(this.deadLetterStream, { subjects_filter: `${prefix}>` });
    const storedBySubject: Record<string, number> = {};
    let stored = 0;
    for (const [wire, count] of Object.entries(info.state.subjects ?? {})) {
      if (count <= 0) continue;
      storedBySubject[wire.slice(prefix.length)] = count;
      stored += count;
    }
    return { stored, storedBySubject };
  }

  deadLetteredCounts(): DeadLetteredCount[] {
    return this.deadLettered.list();
  }

  async listDeadLetters(opts?: ListDeadLettersOptions): Promise<StoredDeadLetter[]> {
    this.assertOpen();
    const { subject, limit } = resolveListOptions(opts);
    const filter = this.wire(subject ? deadLetterSubject(subject) : `${DEAD_LETTER_DOMAIN}.>`);
    const prefix = this.wire(`${DEAD_LETTER_DOMAIN}.`);
    const found: StoredDeadLetter[] = [];
    // One direct lookup per dead letter ("the next one at or after seq on this filter"): no
    // consumer to create and clean up, and each step is bounded by the API timeout. An operator
    // lists tens, not millions; `limit` bounds it anyway.
    let seq = 1;
    while (found.length < limit) {
      const msg = await this.getStoredMessage({ seq, next_by_subj: filter });
      if (!msg) break;
      found.push(toStoredDeadLetter(msg.seq, msg.time, msg.string(), msg.subject.slice(prefix.length)));
      seq = msg.seq + 1;
    }
    return found;
  }

  async replayDeadLetter(seq: number): Promise<ReplayedDeadLetter> {
    this.assertOpen();
    const msg = await this.getStoredMessage({ seq });
    if (!msg) throw new DeadLetterNotFoundError(seq);
    const replay = prepareReplay(seq, msg.string());
    // Publish first, then remove: a failure in between leaves the dead letter in place, and a
    // retried replay within the dedupe window is dropped by JetStream (same publish id).
    await this.jsPublish(replay.subject, replay.data, replay.msgId);
    await this.removeStoredMessage(seq);
    this.logger.info({ seq, subject: replay.subject, eventId: replay.eventId }, 'dead letter replayed');
    return { seq, subject: replay.subject, eventId: replay.eventId, msgId: replay.msgId };
  }

  async discardDeadLetter(seq: number): Promise<void> {
    this.assertOpen();
    await this.removeStoredMessage(seq);
    this.logger.info({ seq }, 'dead letter discarded');
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    if (this.closing || this.nc.isClosed()) return { ok: false, detail: 'event bus is closed' };
    try {
      await this.jsm.streams.info(this.eventsStream);
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: describeError(err) };
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Test teardown: deletes this namespace's streams (and with them their consumers). */
  async deleteNamespaceStreams(): Promise<void> {
    if (!this.namespace) throw new EventBusConfigError('refusing to delete the shared (non-namespaced) streams');
    for (const stream of [this.eventsStream, this.deadLetterStream]) {
      try {
        await this.jsm.streams.delete(stream);
      } catch (err) {
        if (!(err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND)) throw err;
      }
    }
  }

  private async shutdown(): Promise<void> {
    this.setConnected(false, true);
    await Promise.allSettled([...this.subscriptions].map((s) => s.unsubscribe()));
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch (err) {
      this.logger.warn({ err }, 'event bus drain failed');
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new EventBusClosedError();
  }

  /**
   * Follows the client's status for onConnectionChange. Back means reconnected and flushed: the
   * client re-sends its subscriptions on reconnect, and the round trip makes sure the server has
   * them before a listener reloads what it may have missed. A drop during that flush wins.
   */
  private watchConnection(): void {
    let generation = 0;
    void (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === 'disconnect' || status.type === 'staleConnection' || status.type === 'close') {
          generation++;
          this.setConnected(false);
        } else if (status.type === 'reconnect') {
          const mine = ++generation;
          this.nc.flush().then(
            () => mine === generation && this.setConnected(true),
            () => {},
          );
        }
      }
    })()
      .catch((err) => this.logger.warn({ err }, 'event bus status watch stopped'))
      .finally(() => this.setConnected(false, true));
  }

  private setConnected(connected: boolean, closing = false): void {
    if (this.connected === connected) return;
    this.connected = connected;
    if (!closing) this.logger.info({ server: this.nc.getServer() }, connected ? 'event bus reconnected' : 'event bus disconnected');
    for (const listener of this.connectionListeners) {
      try {
        listener(connected);
      } catch (err) {
        this.logger.error({ err }, 'connection listener failed');
      }
    }
  }

  private wire(subject: string): string {
    return this.prefix + subject;
  }

  /** A message of the DLQ stream, or null when there is none (never stored, removed, or aged out). */
  private async getStoredMessage(query: { seq: number; next_by_subj?: string }) {
    if (!Number.isInteger(query.seq) || query.seq < 1) return null;
    try {
      // next_by_subj ("first at or after seq on this subject") is in the server API since 2.9; nats.js types only `seq`.
      return await this.jsm.streams.getMessage(this.deadLetterStream, query as { seq: number });
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === NO_MESSAGE_FOUND || err.code === NO_MESSAGE_FOUND_GET)) return null;
      throw err;
    }
  }

  private async removeStoredMessage(seq: number): Promise<void> {
    if (!Number.isInteger(seq) || seq < 1) throw new DeadLetterNotFoundError(seq);
    try {
      // Erased, not only marked deleted: the payload may hold personal data.
      await this.jsm.streams.deleteMessage(this.deadLetterStream, seq, true);
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === NO_MESSAGE_FOUND || err.code === NO_MESSAGE_FOUND_GET)) {
        throw new DeadLetterNotFoundError(seq);
      }
      throw err;
    }
  }

  /** Resolves to true when JetStream dropped the message as a duplicate of one in the dedupe window. */
  private async jsPublish(subject: string, data: Uint8Array | string, msgId: string | undefined, trace?: TraceHeaders): Promise<boolean> {
    try {
      const options =
        msgId === undefined && !trace
          ? undefined
          : { ...(msgId === undefined ? {} : { msgID: msgId }), ...(trace ? { headers: toNatsHeaders(trace) } : {}) };
      const ack = await this.js.publish(this.wire(subject), data, options);
      if (ack.duplicate) this.logger.debug({ subject, msgId }, 'duplicate publish dropped');
      return ack.duplicate;
    } catch (err) {
      // nats.js reports "no stream captures this subject" as JetStreamNotEnabled.
      throw new EventPublishError(subject, { cause: err });
    }
  }

  private async handleDelivery<S extends DurableSubject>(
    msg: JsMsg,
    subject: S,
    handler: Handler<S>,
    options: ResolvedSubscribeOptions,
    subscriberContext: Context,
  ): Promise<void> {
    const raw = msg.string();
    const deliveries = msg.info.deliveryCount;
    const trace = { system: 'nats' as const, subscriberContext, headers: fromNatsHeaders(msg.headers) };
    const outcome = await attemptDelivery({
      subject,
      raw,
      deliveries,
      durable: options.durable,
      handler,
      options,
      logger: this.logger,
      trace,
    });
    switch (outcome.action) {
      case 'ack':
        msg.ack();
        return;
      case 'retry':
        msg.nak(outcome.delayMs);
        return;
      case 'dead-letter': {
        const deadLetter = buildDeadLetter({ subject, data: raw, error: outcome.error, consumer: options.durable, deliveries });
        try {
          // Keyed by stream sequence: if the ack below is lost, the redelivery dedupes here.
          const duplicate = await this.jsPublish(deadLetterSubject(subject), JSON.stringify(deadLetter), `${options.durable}:${msg.seq}`);
          if (!duplicate) this.deadLettered.add(subject, options.durable);
          this.logger.warn({ subject, durable: options.durable, error: outcome.error }, 'event dead-lettered');
          msg.ack();
        } catch (err) {
          this.logger.error({ err, subject, durable: options.durable }, 'dead-lettering failed, will retry');
          msg.nak(options.backoffMs);
        }
        return;
      }
    }
  }

  private watchConsumerStatus(messages: ConsumerMessages, subject: string, durable: string): void {
    void (async () => {
      for await (const status of messages.status()) {
        if (status.type === 'next' || status.type === 'heartbeat' || status.type === 'discard') continue;
        this.logger.debug({ subject, durable, status }, 'event consumer status');
      }
    })().catch(() => {});
  }

  private async assertStreamsExist(): Promise<void> {
    for (const stream of [this.eventsStream, this.deadLetterStream]) {
      try {
        await this.jsm.streams.info(stream);
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND) {
          throw new EventBusConfigError(
            `stream ${stream} does not exist: is NATS_NAMESPACE right (${this.namespace ?? 'unset'}), and has a service started on this NATS?`,
          );
        }
        throw err;
      }
    }
  }

  private async ensureStreams(settings: { eventsMaxAgeMs: number; deadLetterMaxAgeMs: number; replicas: number }): Promise<void> {
    // Stream settings, each on purpose (README "Event durability and dead letters").
    const common = {
      // Limits, not WorkQueue or Interest: several durables (one per service) read each subject,
      // and a read model may start at the stored history, so a message must outlive the first
      // ack. Messages leave by age only.
      retention: RetentionPolicy.Limits,
      // On disk: a server restart keeps every unconsumed event and every dead letter. How often
      // the disk is fsync'd is the server's `jetstream { sync_interval }` (deploy/nats/nats.conf).
      storage: StorageType.File,
      // 1 on a single server; 3 in a three-node cluster (a publish is acked once two of three
      // have it, and the stream keeps serving with a node down).
      num_replicas: settings.replicas,
      // No count or size cap is set (age is the bound; the server's max_file_store guards the
      // disk). Should one be reached (a cap added by hand), New refuses the publish, loudly, where
      // Old would silently delete the oldest events, possibly ones a consumer has not read yet:
      // the orders outbox keeps a refused event and retries, a request that publishes fails.
      discard: DiscardPolicy.New,
      // Publishes repeated with one message id within 2 minutes are stored once: covers a
      // publisher's retry after a lost ack and the outbox relay's re-sends; the server keeps
      // the ids of the window in memory, so not longer.
      duplicate_window: nanos(DEDUPE_WINDOW_MS),
    };
    await this.ensureStream({
      ...common,
      name: this.eventsStream,
      subjects: EVENT_STREAM_DOMAINS.map((d) => this.wire(`${d}.>`)),
      max_age: nanos(settings.eventsMaxAgeMs),
    });
    await this.ensureStream({
      ...common,
      name: this.deadLetterStream,
      subjects: [this.wire(`${DEAD_LETTER_DOMAIN}.>`)],
      max_age: nanos(settings.deadLetterMaxAgeMs),
    });
  }

  private async ensureStream(config: Partial<StreamConfig> & { name: string; num_replicas: number }): Promise<void> {
    let applied: StreamConfig;
    try {
      try {
        applied = (await this.jsm.streams.add(config)).config;
      } catch (err) {
        if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE)) throw err;
        // Everything that may change on a live stream (retention and storage may not).
        const { subjects, max_age, duplicate_window, discard, num_replicas } = config;
        applied = (await this.jsm.streams.update(config.name, { subjects, max_age, duplicate_window, discard, num_replicas })).config;
      }
    } catch (err) {
      if (config.num_replicas > 1 && err instanceof JetStreamApiError) {
        throw new EventBusConfigError(
          `stream ${config.name} with ${config.num_replicas} replicas refused (${err.message}): NATS_STREAM_REPLICAS=${config.num_replicas} needs a JetStream cluster of at least ${config.num_replicas} servers`,
        );
      }
      throw err;
    }
    // A single server accepts an update to R3 and quietly keeps R1: say so rather than run with fewer copies than asked.
    if ((applied.num_replicas || 1) !== config.num_replicas) {
      throw new EventBusConfigError(
        `stream ${config.name} kept ${applied.num_replicas || 1} replica(s) where ${config.num_replicas} were asked: NATS_STREAM_REPLICAS=${config.num_replicas} needs a JetStream cluster of at least ${config.num_replicas} servers`,
      );
    }
  }

  private async ensureConsumer(config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
    try {
      // Servers < 2.10 update in place here; newer ones reject a changed config (handled below).
      await this.jsm.consumers.add(this.eventsStream, config);
    } catch (err) {
      const exists = err instanceof JetStreamApiError && (err.code === CONSUMER_ALREADY_EXISTS || err.code === CONSUMER_NAME_IN_USE);
      if (!exists) throw err;
      const { ack_wait, max_deliver, filter_subject, max_ack_pending } = config;
      await this.jsm.consumers.update(this.eventsStream, config.durable_name, { ack_wait, max_deliver, filter_subject, max_ack_pending });
    }
  }
}

/** Durables are per subject, so one service can use its name as the durable for all its subscriptions. */
export function consumerNameFor(durable: string, subject: DurableSubject): string {
  return `${durable}__${subject.replaceAll('.', '_')}`;
}

/** The trace headers as NATS message headers (the same names: `traceparent`, `tracestate`). */
function toNatsHeaders(trace: TraceHeaders): MsgHdrs {
  const result = natsHeaders();
  for (const [name, value] of Object.entries(trace)) result.set(name, value);
  return result;
}

/** The trace headers a NATS message carries, if any. */
function fromNatsHeaders(hdrs: MsgHdrs | undefined): TraceHeaders | undefined {
  const traceparent = hdrs?.get('traceparent');
  if (!traceparent) return undefined;
  const tracestate = hdrs!.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

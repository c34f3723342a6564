import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
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
  type ResolvedSubscribeOptions,
  resolveSubscribeOptions,
  type TraceHeaders,
  tracedPublish,
} from './delivery.js';
import { EventBusClosedError, EventBusConfigError, EventPublishError, UnknownSubjectError } from './errors.js';
import type {
  BroadcastOptions,
  ConnectionListener,
  DeadLetteredCount,
  DeadLetterHandler,
  DeadLetterStats,
  EventBus,
  Handler,
  ListDeadLettersOptions,
  PublishOptions,
  ReplayedDeadLetter,
  StoredDeadLetter,
  SubscribeOptions,
  Subscription,
} from './event-bus.js';
import { type EventLogger, silentLogger } from './logger.js';
import { natsConnectOptions } from './nats-connect-options.js';
import { NatsDeadLetters } from './nats-dead-letters.js';
import { DEFAULT_DEAD_LETTER_MAX_AGE_MS, DEFAULT_STREAM_MAX_AGE_MS, MAX_REPLICAS, NatsStreams } from './nats-streams.js';
import { fromNatsHeaders, toNatsHeaders } from './nats-trace-headers.js';
import { quietRequestRelease } from './quiet-request-release.js';
import {
  assertCatalogFitsStreams,
  type DurableSubject,
  type FanoutSubject,
  isDurableSubject,
  isFanoutSubject,
  type PayloadOf,
} from './schemas.js';
import { deadLetterSubject } from './subjects.js';

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

/** JetStream's own default for pull consumers, restated so a durable can go back from serial. */
const DEFAULT_MAX_ACK_PENDING = 1_000;
const JS_API_TIMEOUT_MS = 5_000;

export class NatsEventBus implements EventBus {
  private readonly js: JetStreamClient;
  private readonly prefix: string;
  private readonly subscriptions = new Set<Subscription>();
  private readonly deadLettered = new DeadLetterCounter();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private connected = true;
  private closing?: Promise<void>;

  private readonly streams: NatsStreams;
  private readonly deadLetters: NatsDeadLetters;

  readonly eventsStream: string;
  readonly deadLetterStream: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    namespace: string | undefined,
    private readonly logger: EventLogger,
  ) {
    this.js = jsm.jetstream();
    this.prefix = namespace ? `${namespace}.` : '';
    const wire = (subject: string) => this.wire(subject);
    this.streams = new NatsStreams(jsm, namespace, wire);
    this.eventsStream = this.streams.events;
    this.deadLetterStream = this.streams.deadLetters;
    this.deadLetters = new NatsDeadLetters({
      jsm,
      js: this.js,
      stream: this.deadLetterStream,
      wire,
      publish: (subject, data, msgId) => this.jsPublish(subject, data, msgId),
      logger,
    });
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
        await bus.streams.ensure({
          eventsMaxAgeMs: options.streamMaxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS,
          deadLetterMaxAgeMs: options.deadLetterMaxAgeMs ?? DEFAULT_DEAD_LETTER_MAX_AGE_MS,
          replicas,
        });
      } else {
        await bus.streams.assertExist();
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
    await this.streams.ensureConsumer({
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

    return this.track({
      unsubscribe: async () => {
        stopping = true;
        await messages.close();
        await loop;
      },
    });
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
    return this.track({
      unsubscribe: async () => {
        sub.unsubscribe();
        await loop;
      },
    });
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
    return this.track(await this.deadLetters.subscribe(handler));
  }

  async deadLetterStats(): Promise<DeadLetterStats> {
    this.assertOpen();
    return this.deadLetters.stats();
  }

  deadLetteredCounts(): DeadLetteredCount[] {
    return this.deadLettered.list();
  }

  async listDeadLetters(opts?: ListDeadLettersOptions): Promise<StoredDeadLetter[]> {
    this.assertOpen();
    return this.deadLetters.list(opts);
  }

  async replayDeadLetter(seq: number): Promise<ReplayedDeadLetter> {
    this.assertOpen();
    return this.deadLetters.replay(seq);
  }

  async discardDeadLetter(seq: number): Promise<void> {
    this.assertOpen();
    await this.deadLetters.discard(seq);
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
  deleteNamespaceStreams(): Promise<void> {
    return this.streams.deleteNamespaced();
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

  /** Unsubscribes at most once, and is unsubscribed by close() until then. */
  private track(inner: Subscription): Subscription {
    const subscription: Subscription = {
      unsubscribe: once(async () => {
        await inner.unsubscribe();
        this.subscriptions.delete(subscription);
      }),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }
}

/** Durables are per subject, so one service can use its name as the durable for all its subscriptions. */
export function consumerNameFor(durable: string, subject: DurableSubject): string {
  return `${durable}__${subject.replaceAll('.', '_')}`;
}

import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  assertValidName,
  attemptDelivery,
  buildDeadLetter,
  createEnvelope,
  decodeEnvelope,
  describeError,
  once,
  resolveSubscribeOptions,
  safeJsonParse,
  type ResolvedSubscribeOptions,
} from './delivery.js';
import { EventBusClosedError, EventBusConfigError, EventPublishError, UnknownSubjectError } from './errors.js';
import {
  DEDUPE_WINDOW_MS,
  type DeadLetterHandler,
  type EventBus,
  type Handler,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.js';
import { silentLogger, type EventLogger } from './logger.js';
import {
  assertCatalogFitsStreams,
  deadLetterSchema,
  isDurableSubject,
  isFanoutSubject,
  type DurableSubject,
  type FanoutSubject,
  type PayloadOf,
} from './schemas.js';
import { DEAD_LETTER_DOMAIN, EVENT_STREAM_DOMAINS, deadLetterSubject } from './subjects.js';


/** Lifetime of one pull request; idle consumers re-pull this often. */
const PULL_EXPIRES_MS = 5_000;
export interface NatsEventBusOptions {
  /** One server or a list (`nats://host:4222`, `127.0.0.1:4222`). */
  url: string | string[];
  /**
   * Prefixes every subject (`<ns>.auth.user.registered`) and stream name (`<NS>_EVENTS`),
   * so tests can share one server in isolation.
   */
  namespace?: string;
  logger?: EventLogger;
  /** Stream retention. Default 7 days. */
  streamMaxAgeMs?: number;
  /** Connection name shown in the server's monitoring endpoints. */
  connectionName?: string;
}

/**
 * nats.js ignores credentials in a server URL, so NATS_URL could not carry them the way
 * REDIS_URL does: take `user:pass@` (or a lone `token@`) out of the URLs (comma-separated or a
 * list) and hand it over as connection options.
 */
export function natsConnectOptions(url: string | string[]): { servers: string[]; user?: string; pass?: string; token?: string } {
  const entries = (Array.isArray(url) ? url : [url]).flatMap((u) => u.split(',')).map((u) => u.trim()).filter(Boolean);
  let auth: { user?: string; pass?: string; token?: string } | undefined;
  const servers = entries.map((entry) => {
    const match = /^([a-z]+:\/\/)([^@/]*)@(.+)$/i.exec(entry);
    if (!match) return entry;
    const [, scheme, userinfo, rest] = match;
    const colon = userinfo.indexOf(':');
    const found = colon < 0 ? { token: decodeURIComponent(userinfo) } : { user: decodeURIComponent(userinfo.slice(0, colon)), pass: decodeURIComponent(userinfo.slice(colon + 1)) };
    if (auth && (auth.user !== found.user || auth.pass !== found.pass || auth.token !== found.token)) {
      throw new EventBusConfigError('every NATS server URL must carry the same credentials');
    }
    auth = found;
    return scheme + rest;
  });
  return { servers, ...auth };
}

const DEFAULT_STREAM_MAX_AGE_MS = 7 * 24 * 60 * 60_000;
/** JetStream's own default for pull consumers, restated so a durable can go back from serial. */
const DEFAULT_MAX_ACK_PENDING = 1_000;
const JS_API_TIMEOUT_MS = 5_000;

// Server error codes for "exists with a different config" (create must become update).
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_ALREADY_EXISTS = 10148;
const CONSUMER_NAME_IN_USE = 10013;
const STREAM_NOT_FOUND = 10059;

export class NatsEventBus implements EventBus {
  private readonly js: JetStreamClient;
  private readonly prefix: string;
  private readonly subscriptions = new Set<Subscription>();
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
  }

  /** Connects and creates (or updates) the EVENTS and DLQ streams. */
  static async connect(options: NatsEventBusOptions): Promise<NatsEventBus> {
    if (options.namespace !== undefined) assertValidName('namespace', options.namespace);
    assertCatalogFitsStreams();
    const logger = options.logger ?? silentLogger;
    const nc = await connect({
      ...natsConnectOptions(options.url),
      name: options.connectionName,
      maxReconnectAttempts: -1, // a service should ride out broker restarts, not die
    });
    try {
      const jsm = await jetstreamManager(nc, { timeout: JS_API_TIMEOUT_MS });
      const bus = new NatsEventBus(nc, jsm, options.namespace, logger);
      await bus.ensureStreams(options.streamMaxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS);
      logger.info({ server: nc.getServer(), streams: [bus.eventsStream, bus.deadLetterStream] }, 'event bus connected');
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
    await this.jsPublish(subject, JSON.stringify(envelope), envelope.id);
  }

  async publishRaw(subject: string, data: Uint8Array | string, opts?: PublishOptions): Promise<void> {
    this.assertOpen();
    await this.jsPublish(subject, data, opts?.msgId);
  }

  async subscribe<S extends DurableSubject>(subject: S, handler: Handler<S>, opts: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    if (!isDurableSubject(subject)) throw new UnknownSubjectError(subject, 'durable');
    const options = resolveSubscribeOptions(opts);
    const consumerName = consumerNameFor(options.durable, subject);
    await this.ensureConsumer({
      durable_name: consumerName,
      filter_subject: this.wire(subject),
      ack_policy: AckPolicy.Explicit,
      // A brand-new durable starts at "now" unless asked otherwise: deploying a new service must
      // not replay a week of history (read models ask for it: startAt 'stored').
      deliver_policy: options.startAt === 'stored' ? DeliverPolicy.All : DeliverPolicy.New,
      ack_wait: nanos(options.ackWaitMs),
      // One spare delivery so a message whose last attempt timed out still reaches us to be dead-lettered.
      max_deliver: options.maxDeliver + 1,
      // Serial: the server hands out the next message only once this one is acked (a nak'd one stays pending).
      max_ack_pending: options.serial ? 1 : DEFAULT_MAX_ACK_PENDING,
    });
    const consumer = await this.js.consumers.get(this.eventsStream, consumerName);
    // Handlers run one at a time; pulling one message ahead keeps buffered messages from
    // burning their ack wait while they queue behind a slow handler.
    // Short pulls: after a 409 status nats.js stalls until two idle heartbeats are missed
    // (heartbeat = expires / 2), so the default 30 s pull could hold a saga step for 30 s.
    const messages = await consumer.consume({ max_messages: 1, expires: PULL_EXPIRES_MS });
    let stopping = false;
    const loop = (async () => {
      for await (const msg of messages) {
        if (stopping) {
          msg.nak(); // already pulled but not started: hand it back for another subscriber now
          continue;
        }
        await this.handleDelivery(msg, subject, handler, options);
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

  async broadcast<S extends FanoutSubject>(subject: S, data: PayloadOf<S>): Promise<void> {
    this.assertOpen();
    if (!isFanoutSubject(subject)) throw new UnknownSubjectError(subject, 'fan-out');
    const envelope = createEnvelope(subject, data);
    try {
      this.nc.publish(this.wire(subject), JSON.stringify(envelope));
    } catch (err) {
      throw new EventPublishError(subject, { cause: err });
    }
  }

  async onBroadcast<S extends FanoutSubject>(subject: S, handler: Handler<S>): Promise<Subscription> {
    this.assertOpen();
    if (!isFanoutSubject(subject)) throw new UnknownSubjectError(subject, 'fan-out');
    // No queue group: every replica must see every invalidation.
    const sub = this.nc.subscribe(this.wire(subject));
    const loop = (async () => {
      for await (const msg of sub) {
        const decoded = decodeEnvelope(subject, msg.string());
        if (!decoded.ok) {
          this.logger.warn({ subject, error: decoded.error }, 'dropping invalid broadcast');
          continue;
        }
        try {
          await handler(decoded.envelope);
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

  private wire(subject: string): string {
    return this.prefix + subject;
  }

  private async jsPublish(subject: string, data: Uint8Array | string, msgId: string | undefined): Promise<void> {
    try {
      const ack = await this.js.publish(this.wire(subject), data, msgId === undefined ? undefined : { msgID: msgId });
      if (ack.duplicate) this.logger.debug({ subject, msgId }, 'duplicate publish dropped');
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
  ): Promise<void> {
    const raw = msg.string();
    const deliveries = msg.info.deliveryCount;
    const outcome = await attemptDelivery({ subject, raw, deliveries, durable: options.durable, handler, options, logger: this.logger });
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
          await this.jsPublish(deadLetterSubject(subject), JSON.stringify(deadLetter), `${options.durable}:${msg.seq}`);
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

  private async ensureStreams(maxAgeMs: number): Promise<void> {
    const common = {
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(maxAgeMs),
      duplicate_window: nanos(DEDUPE_WINDOW_MS),
    };
    await this.ensureStream({ ...common, name: this.eventsStream, subjects: EVENT_STREAM_DOMAINS.map((d) => this.wire(`${d}.>`)) });
    await this.ensureStream({ ...common, name: this.deadLetterStream, subjects: [this.wire(`${DEAD_LETTER_DOMAIN}.>`)] });
  }

  private async ensureStream(config: Partial<StreamConfig> & { name: string }): Promise<void> {
    try {
      await this.jsm.streams.add(config);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE)) throw err;
      const { subjects, max_age, duplicate_window, discard } = config;
      await this.jsm.streams.update(config.name, { subjects, max_age, duplicate_window, discard });
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

import {
  type ConsumerConfig,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { EventBusConfigError } from './errors.js';
import { DEDUPE_WINDOW_MS } from './event-bus.js';
import { DEAD_LETTER_DOMAIN, EVENT_STREAM_DOMAINS } from './subjects.js';

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
export const MAX_REPLICAS = 5;

// Server error codes for "exists with a different config" (create must become update).
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_ALREADY_EXISTS = 10148;
const CONSUMER_NAME_IN_USE = 10013;
const STREAM_NOT_FOUND = 10059;

export interface StreamSettings {
  eventsMaxAgeMs: number;
  deadLetterMaxAgeMs: number;
  replicas: number;
}

/**
 * The bus's two streams, EVENTS and DLQ (each prefixed by the namespace), and the durable
 * consumers on EVENTS: created, brought to the settings asked for, checked, or deleted.
 */
export class NatsStreams {
  readonly events: string;
  readonly deadLetters: string;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly namespace: string | undefined,
    /** A subject as it goes on the wire (the namespace's prefix in front). */
    private readonly wire: (subject: string) => string,
  ) {
    const streamPrefix = namespace ? `${namespace.toUpperCase()}_` : '';
    this.events = `${streamPrefix}EVENTS`;
    this.deadLetters = `${streamPrefix}DLQ`;
  }

  /** Creates both streams, or brings existing ones to these settings. */
  async ensure(settings: StreamSettings): Promise<void> {
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
      name: this.events,
      subjects: EVENT_STREAM_DOMAINS.map((d) => this.wire(`${d}.>`)),
      max_age: nanos(settings.eventsMaxAgeMs),
    });
    await this.ensureStream({
      ...common,
      name: this.deadLetters,
      subjects: [this.wire(`${DEAD_LETTER_DOMAIN}.>`)],
      max_age: nanos(settings.deadLetterMaxAgeMs),
    });
  }

  /** For tools that must not change a deployment's streams: both must exist already. */
  async assertExist(): Promise<void> {
    for (const stream of [this.events, this.deadLetters]) {
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

  /** Creates a durable consumer on EVENTS, or updates what may change on an existing one. */
  async ensureConsumer(config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
    try {
      // Servers < 2.10 update in place here; newer ones reject a changed config (handled below).
      await this.jsm.consumers.add(this.events, config);
    } catch (err) {
      const exists = err instanceof JetStreamApiError && (err.code === CONSUMER_ALREADY_EXISTS || err.code === CONSUMER_NAME_IN_USE);
      if (!exists) throw err;
      const { ack_wait, max_deliver, filter_subject, max_ack_pending } = config;
      await this.jsm.consumers.update(this.events, config.durable_name, { ack_wait, max_deliver, filter_subject, max_ack_pending });
    }
  }

  /** Test teardown: deletes this namespace's streams (and with them their consumers). */
  async deleteNamespaced(): Promise<void> {
    if (!this.namespace) throw new EventBusConfigError('refusing to delete the shared (non-namespaced) streams');
    for (const stream of [this.events, this.deadLetters]) {
      try {
        await this.jsm.streams.delete(stream);
      } catch (err) {
        if (!(err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND)) throw err;
      }
    }
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
}

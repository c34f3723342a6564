import { JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { once, prepareReplay, resolveListOptions, safeJsonParse, toStoredDeadLetter } from './delivery.js';
import { DeadLetterNotFoundError } from './errors.js';
import type {
  DeadLetterHandler,
  DeadLetterStats,
  ListDeadLettersOptions,
  ReplayedDeadLetter,
  StoredDeadLetter,
  Subscription,
} from './event-bus.js';
import type { EventLogger } from './logger.js';
import { deadLetterSchema } from './schemas.js';
import { DEAD_LETTER_DOMAIN, deadLetterSubject } from './subjects.js';

const NO_MESSAGE_FOUND = 10057;
const NO_MESSAGE_FOUND_GET = 10037;

export interface NatsDeadLettersOptions {
  jsm: JetStreamManager;
  js: JetStreamClient;
  /** The DLQ stream's name. */
  stream: string;
  /** A subject as it goes on the wire (the namespace's prefix in front). */
  wire: (subject: string) => string;
  /** Publishes to JetStream with a message id (a replay). */
  publish: (subject: string, data: string, msgId: string) => Promise<unknown>;
  logger: EventLogger;
}

/** The DLQ stream as an operator uses it: read, counted, listed, replayed, discarded. */
export class NatsDeadLetters {
  constructor(private readonly o: NatsDeadLettersOptions) {}

  /** Every dead letter, stored ones first, then new ones as they come; reading does not consume them. */
  async subscribe(handler: DeadLetterHandler): Promise<Subscription> {
    // An ordered (ephemeral, ack-less) consumer: reading dead letters must not consume them.
    const consumer = await this.o.js.consumers.get(this.o.stream);
    const messages = await consumer.consume();
    const loop = (async () => {
      for await (const msg of messages) {
        const parsed = deadLetterSchema.safeParse(safeJsonParse(msg.string()));
        if (!parsed.success) {
          this.o.logger.warn({ subject: msg.subject }, 'skipping malformed dead letter');
          continue;
        }
        try {
          await handler(parsed.data);
        } catch (err) {
          this.o.logger.error({ err }, 'dead-letter handler failed');
        }
      }
    })().catch((err) => this.o.logger.error({ err }, 'dead-letter reader stopped'));
    return {
      unsubscribe: once(async () => {
        await messages.close();
        await loop;
      }),
    };
  }

  async stats(): Promise<DeadLetterStats> {
    const prefix = this.o.wire(`${DEAD_LETTER_DOMAIN}.`);
    const info = await this.o.jsm.streams.info(this.o.stream, { subjects_filter: `${prefix}>` });
    const storedBySubject: Record<string, number> = {};
    let stored = 0;
    for (const [wire, count] of Object.entries(info.state.subjects ?? {})) {
      if (count <= 0) continue;
      storedBySubject[wire.slice(prefix.length)] = count;
      stored += count;
    }
    return { stored, storedBySubject };
  }

  async list(opts?: ListDeadLettersOptions): Promise<StoredDeadLetter[]> {
    const { subject, limit } = resolveListOptions(opts);
    const filter = this.o.wire(subject ? deadLetterSubject(subject) : `${DEAD_LETTER_DOMAIN}.>`);
    const prefix = this.o.wire(`${DEAD_LETTER_DOMAIN}.`);
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

  async replay(seq: number): Promise<ReplayedDeadLetter> {
    const msg = await this.getStoredMessage({ seq });
    if (!msg) throw new DeadLetterNotFoundError(seq);
    const replay = prepareReplay(seq, msg.string());
    // Publish first, then remove: a failure in between leaves the dead letter in place, and a
    // retried replay within the dedupe window is dropped by JetStream (same publish id).
    await this.o.publish(replay.subject, replay.data, replay.msgId);
    await this.remove(seq);
    this.o.logger.info({ seq, subject: replay.subject, eventId: replay.eventId }, 'dead letter replayed');
    return { seq, subject: replay.subject, eventId: replay.eventId, msgId: replay.msgId };
  }

  async discard(seq: number): Promise<void> {
    await this.remove(seq);
    this.o.logger.info({ seq }, 'dead letter discarded');
  }

  /** A message of the DLQ stream, or null when there is none (never stored, removed, or aged out). */
  private async getStoredMessage(query: { seq: number; next_by_subj?: string }) {
    if (!Number.isInteger(query.seq) || query.seq < 1) return null;
    try {
      // next_by_subj ("first at or after seq on this subject") is in the server API since 2.9; nats.js types only `seq`.
      return await this.o.jsm.streams.getMessage(this.o.stream, query as { seq: number });
    } catch (err) {
      if (isNoMessage(err)) return null;
      throw err;
    }
  }

  private async remove(seq: number): Promise<void> {
    if (!Number.isInteger(seq) || seq < 1) throw new DeadLetterNotFoundError(seq);
    try {
      // Erased, not only marked deleted: the payload may hold personal data.
      await this.o.jsm.streams.deleteMessage(this.o.stream, seq, true);
    } catch (err) {
      if (isNoMessage(err)) throw new DeadLetterNotFoundError(seq);
      throw err;
    }
  }
}

const isNoMessage = (err: unknown) =>
  err instanceof JetStreamApiError && (err.code === NO_MESSAGE_FOUND || err.code === NO_MESSAGE_FOUND_GET);

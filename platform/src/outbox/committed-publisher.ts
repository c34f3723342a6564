import type { EventBus } from '@app/events';
import type { EntityManager } from '@mikro-orm/postgresql';
import { executePrepared } from '../database/execute-prepared.js';
import type { Logger } from '../observability/logger.js';
import { outboxTable } from './outbox-message.js';
import type { OutboxRecord } from './outbox-writer.js';
import { publishOutboxMessage, settle } from './publish-outbox-message.js';

/**
 * How long published rows wait to be marked sent, so that one UPDATE marks many (they stay in
 * flight meanwhile, and the relay leaves them alone). 50 ms: under a saga's load that is one
 * UPDATE per several orders instead of about one per order. A crash in between only means the
 * relay publishes those rows again: durable copies are dropped as duplicates by their message
 * ids, a `live.*` broadcast may arrive twice (as after any relay takeover).
 */
const MARK_DELAY_MS = 50;
/** Rows marked by one UPDATE at most. */
const MARK_BATCH = 1_000;

export interface CommittedPublisherOptions {
  em: EntityManager;
  bus: EventBus;
  logger: Logger;
  /** A publish failed: the rows stay unsent, for the relay to send in order. */
  onFailure(): void;
}

/**
 * Publishes outbox rows the moment their transaction has committed, without waiting for a relay
 * round (no read of the outbox, no transaction): each is published as the relay would (durable
 * subjects with their message id, `live.*` broadcast), in the order given, pipelined on the one
 * connection; then the ones published are marked sent, by one UPDATE for every row published
 * meanwhile. The outbox stays the guarantee: a row whose publish fails, or whose process dies
 * before marking it, is still unsent, and the relay sends it (a durable copy that did reach the
 * stream is then dropped by JetStream's dedupe, same message id).
 *
 * `inFlight` names the rows published here and not yet marked: the relay leaves them alone.
 */
export class CommittedPublisher {
  private readonly ids = new Set<string>();
  private toMark: string[] = [];
  private marking?: Promise<void>;
  private markTimer?: NodeJS.Timeout;
  private readonly publishing = new Set<Promise<void>>();

  constructor(private readonly options: CommittedPublisherOptions) {}

  get inFlight(): ReadonlySet<string> {
    return this.ids;
  }

  /** Publishes committed rows now, in order; never throws (a failure is left to the relay). */
  publish(records: readonly OutboxRecord[]): void {
    if (!records.length) return;
    for (const record of records) this.ids.add(record.id);
    const publishing = this.publishAll(records).finally(() => this.publishing.delete(publishing));
    this.publishing.add(publishing);
  }

  /** Waits for publishes in progress, then marks what they published. */
  async stop(): Promise<void> {
    await Promise.all(this.publishing);
    while (this.marking || this.markTimer) {
      if (this.markTimer) {
        clearTimeout(this.markTimer);
        this.markTimer = undefined;
        this.markNow();
      }
      await this.marking;
    }
  }

  private async publishAll(records: readonly OutboxRecord[]): Promise<void> {
    const { bus, logger } = this.options;
    // Every bus call is made here, in order, before the first answer is awaited.
    const outcomes = await Promise.all(records.map((record) => settle(publishOutboxMessage(bus, record))));
    const failed = records.filter((_, i) => outcomes[i].error !== undefined);
    for (const record of failed) this.ids.delete(record.id);
    this.toMark.push(...records.filter((_, i) => outcomes[i].error === undefined).map((r) => r.id));
    this.markSoon();
    if (failed.length) {
      logger.warn({ subjects: failed.map((r) => r.subject) }, 'publishing committed outbox rows failed: the relay will send them');
      this.options.onFailure();
    }
  }

  /** Marks published rows MARK_DELAY_MS from now, with every row published meanwhile. */
  private markSoon(): void {
    if (this.markTimer || this.marking || !this.toMark.length) return;
    this.markTimer = setTimeout(() => {
      this.markTimer = undefined;
      this.markNow();
    }, MARK_DELAY_MS);
    this.markTimer.unref();
  }

  /** One UPDATE for the rows published so far (at most MARK_BATCH); the rest wait for the next. */
  private markNow(): void {
    if (this.marking || !this.toMark.length) return;
    const ids = this.toMark.splice(0, MARK_BATCH);
    this.marking = this.markSent(ids)
      .catch((err: unknown) => {
        // Still unsent in the table: the relay publishes them again, deduplicated by message id.
        this.options.logger.warn({ err, rows: ids.length }, 'marking published outbox rows sent failed');
      })
      .finally(() => {
        for (const id of ids) this.ids.delete(id);
        this.marking = undefined;
        this.markSoon();
      });
  }

  /**
   * One statement, committed asynchronously (`synchronous_commit` off for its own transaction
   * only): the mark is not worth a WAL flush of its own, since losing it to a database crash only
   * means the relay publishes those rows again, deduplicated as above. Every other commit of the
   * service still waits for its flush.
   */
  private async markSent(ids: string[]): Promise<void> {
    const em = this.options.em.fork();
    await executePrepared(
      em,
      `update ${outboxTable(em)} o set sent_at = ?, attempts = o.attempts + 1
       from (select set_config('synchronous_commit', 'off', true)) async_commit
       where o.sent_at is null and o.id = any(?::uuid[])`,
      [new Date(), ids],
    );
  }
}

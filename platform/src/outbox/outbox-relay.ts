import { type EventBus, InvalidEventError } from '@app/events';
import type { EntityManager } from '@mikro-orm/postgresql';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from '../observability/logger.js';
import { SerialLoop } from '../serial-loop.js';
import { withService } from '../tracing/service-context.js';
import { deserializeTraceContext } from '../tracing/trace-context.js';
import { CommittedPublisher } from './committed-publisher.js';
import { outboxEntity, outboxTable } from './outbox-message.js';
import type { OutboxRecord } from './outbox-writer.js';
import { type OutboxFollower, publishOutboxMessage, settle } from './publish-outbox-message.js';

const HOUR_MS = 60 * 60_000;
/** A round that found another replica relaying looks again this much later. */
const BUSY_RETRY_MS = 20;
/**
 * A poll leaves rows younger than this to the replica that wrote them (publishCommitted): it is
 * publishing them now, and marks them sent within milliseconds unless the bus is failing.
 */
const DIRECT_GRACE_MS = 5_000;

export interface OutboxRelayOptions {
  em: EntityManager;
  bus: EventBus;
  logger: Logger;
  /** The service's name: with the schema, it names the relay lock (`<name>-outbox:<schema>`). */
  name: string;
  /** The service's schema: replicas of one deployment share the relay lock, other deployments do not. */
  schema: string;
  pollIntervalMs: number;
  batchSize?: number;
  /** Sent rows are kept this long (for inspection), then deleted. Default a day. */
  retentionMs?: number;
  /** How often the relay deletes sent rows past their retention (at its first round, then at most this often). Default an hour. */
  pruneIntervalMs?: number;
}

/**
 * Publishes a service's outbox. Two paths:
 * - `publishCommitted(rows)`, right after the commit that wrote them: published at once by this
 *   process (CommittedPublisher), no outbox read and no transaction; the path of the saga's steps.
 *   A failed publish leaves its rows to the relay, and until a relay round finds the outbox
 *   drained, later commits go through the relay too (so a message never overtakes one of this
 *   process's that failed before it).
 * - the relay, for `nudge()` (every other writer) and as the fallback: unsent rows in `seq`
 *   order, durable subjects with `bus.publish` and the row's `msgId` (or its id) as message id (a
 *   re-publish after a crash is dropped by JetStream's dedupe window), `live.*` with
 *   `bus.broadcast`; then marks them sent. It polls, and is nudged right after every commit that
 *   wrote rows: a nudge starts a round at once, or, when one is running, another right after it
 *   (rows committed during a round may have been missed by it). A nudged round skips the poll's
 *   look for unsent rows (the nudge says there are some). A timed poll leaves rows younger than
 *   DIRECT_GRACE_MS to the replica publishing them.
 *
 * A round's first row is published alone; once it is acknowledged, the rest of the batch is
 * pipelined: sent in order on the one connection (so stored in order) and their acknowledgements
 * awaited together, one wait per batch instead of one per row. After a failure (the bus down)
 * a round thus risks one publish, as before.
 *
 * With several replicas one relays at a time (a transaction-scoped advisory lock; the others skip
 * the round), which keeps the order of the rows it sends; rows are also taken `FOR UPDATE SKIP
 * LOCKED`. Rows published directly keep their process's order (one connection), which is the
 * order their causes had: a saga's next step is caused by a message published after its last.
 * A nudged round can still take another replica's rows in flight: a durable copy is dropped by
 * its message id, a `live.*` broadcast may then arrive twice. A row that fails to publish stops
 * the round (order is kept) and is retried at the next one, with `attempts` and `lastError`
 * recorded. Sent rows are deleted once past `retentionMs`. Each relayed publish runs in the trace
 * its row was written in (`traceContext`), a direct one in the writer's own, so a trace follows a
 * request through the outbox onto the bus.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly loop: SerialLoop;
  /**
   * The context the relay's rounds run in: this service's, outside any trace (the loop is started
   * in it, and SerialLoop runs every round where it was started, not in the nudging request's).
   */
  private readonly loopContext;
  private lastPrune = 0;
  /** A nudge came since the last round started: there are unsent rows. */
  private nudged = false;
  /** Nudges so far (a round that saw none during it knows the outbox it drained stayed drained). */
  private nudges = 0;
  private readonly committed: CommittedPublisher;
  /**
   * A publish failed (direct or relayed), or the relay has just started, and it has not drained
   * the outbox since: polls take every unsent row, and commits go through the relay, in order.
   */
  private degraded = true; // until the first round has sent what a previous run left

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.loopContext = withService(ROOT_CONTEXT, options.name);
    this.loop = new SerialLoop({
      round: () => this.round(),
      intervalMs: options.pollIntervalMs,
      // A round asked for while one ran starts right after it: this is the path every saga step's
      // command takes, and rounds batch whatever was committed meanwhile.
      againDelayMs: 0,
      onError: (err) => options.logger.error({ err }, 'outbox relay round failed'),
    });
    this.committed = new CommittedPublisher({
      em: options.em,
      bus: options.bus,
      logger: options.logger,
      onFailure: () => {
        this.degraded = true;
        this.nudge();
      },
    });
  }

  start(): void {
    context.with(this.loopContext, () => this.loop.start());
  }

  /** Publish soon: something was just committed. */
  nudge(): void {
    this.nudged = true;
    this.nudges++;
    this.loop.nudge();
  }

  /**
   * Publish these rows now: their transaction has just committed. Through the relay instead (a
   * nudge) while an earlier direct publish's failure is not yet cleared.
   */
  publishCommitted(records: readonly OutboxRecord[]): void {
    if (!records.length) return;
    if (this.degraded) this.nudge();
    else this.committed.publish(records);
  }

  /** Stops polling and waits for a round and direct publishes in progress. Unsent rows stay for the next start (any replica). */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.committed.stop();
  }

  /**
   * One relay round: publishes unsent rows until none are left (or one fails). Returns how many
   * were sent. Rows this process is publishing directly are left alone; `olderThan` leaves the
   * rows written since too (another replica's direct publishes).
   */
  async relayOnce(options: { knownUnsent?: boolean; olderThan?: Date } = {}): Promise<number> {
    const nudgesBefore = this.nudges;
    // The usual poll finds nothing: one indexed read then, no transaction and no lock.
    if (!options.knownUnsent && !(await this.anyUnsent(options.olderThan))) {
      this.drained(options, nudgesBefore);
      return 0;
    }
    let total = 0;
    for (;;) {
      const result = await this.relayBatch(options.olderThan);
      total += result.sent;
      if (result.busy) {
        // Another replica is relaying: it may have read before our rows were committed. Not at
        // once (that would spin while it relays): a moment later.
        setTimeout(() => this.nudge(), BUSY_RETRY_MS).unref();
        return total;
      }
      if (result.failed) {
        this.degraded = true;
        return total;
      }
      if (result.sent < this.batchSize) {
        this.drained(options, nudgesBefore);
        return total;
      }
    }
  }

  /** Deletes sent rows older than the retention; how many went. Safe on every replica at once. */
  async prune(now = new Date()): Promise<number> {
    const em = this.options.em.fork();
    return em.nativeDelete(outboxEntity(em), { sentAt: { $lt: new Date(now.getTime() - (this.options.retentionMs ?? 24 * HOUR_MS)) } });
  }

  /**
   * The relay found nothing more to send: direct publishing may resume, unless the round left
   * young rows (`olderThan`) or a commit nudged during it (its rows go first, at the next round).
   */
  private drained(options: { olderThan?: Date }, nudgesBefore: number): void {
    if (!options.olderThan && this.nudges === nudgesBefore) this.degraded = false;
  }

  private async anyUnsent(olderThan?: Date): Promise<boolean> {
    const em = this.options.em.fork();
    const where = olderThan ? { sentAt: null, createdAt: { $lt: olderThan } } : { sentAt: null };
    return (await em.findOne(outboxEntity(em), where, { fields: ['seq'] })) !== null;
  }

  private async round(): Promise<void> {
    const knownUnsent = this.nudged;
    this.nudged = false;
    // A timed poll leaves young rows to their writers; after a direct publish failed it takes all.
    const olderThan = knownUnsent || this.degraded ? undefined : new Date(Date.now() - DIRECT_GRACE_MS);
    await this.relayOnce({ knownUnsent, olderThan });
    if (Date.now() - this.lastPrune < (this.options.pruneIntervalMs ?? HOUR_MS)) return;
    this.lastPrune = Date.now();
    await this.prune().catch((err) => this.options.logger.warn({ err }, 'pruning the outbox failed'));
  }

  /** Publishes one row, in the trace it was written in (the publish span continues the writer's request). */
  private publish(row: RelayedRow): Promise<void> {
    const publish = () =>
      publishOutboxMessage(this.options.bus, {
        ...row,
        msgId: row.msg_id,
        broadcastSubject: row.broadcast_subject,
        broadcastPayload: row.broadcast_payload,
        followers: row.followers,
      });
    return row.trace_context ? context.with(deserializeTraceContext(row.trace_context, this.loopContext), publish) : publish();
  }

  /**
   * One batch in one transaction of three statements: the relay lock and the unsent rows in one
   * read (rows `FOR UPDATE SKIP LOCKED`; no rows without the lock), the publishes, and one update
   * of the rows sent. Plain SQL: the rows are read once and written once, with no entity to track.
   */
  private async relayBatch(olderThan?: Date): Promise<{ sent: number; failed: boolean; busy: boolean }> {
    const { em, logger, name, schema } = this.options;
    const direct = [...this.committed.inFlight];
    return em.fork().transactional(async (tx) => {
      const table = outboxTable(tx);
      const read = await tx.execute<({ locked: boolean } & Partial<RelayedRow>)[]>(
        `with relay as materialized (select pg_try_advisory_xact_lock(hashtext(?)) as locked)
         select relay.locked, o.seq, o.id, o.msg_id, o.subject, o.kind, o.payload, o.broadcast_subject, o.broadcast_payload, o.followers, o.trace_context
         from relay left join lateral (
           select * from ${table} where relay.locked and sent_at is null
             ${olderThan ? 'and created_at < ?' : ''}
             ${direct.length ? `and id not in (${direct.map(() => '?').join(', ')})` : ''}
           order by seq limit ? for update skip locked
         ) o on true`,
        [`${name}-outbox:${schema}`, ...(olderThan ? [olderThan] : []), ...direct, this.batchSize],
      );
      if (!read[0]?.locked) return { sent: 0, failed: false, busy: true };
      const rows = read.filter((r): r is { locked: boolean } & RelayedRow => r.seq != null);
      // The first alone (it probes a bus that may be down), then the rest pipelined: each
      // bus.publish call writes its message before it returns, so they leave in row order.
      const outcomes = rows.length ? [await settle(this.publish(rows[0]))] : [];
      const down = outcomes[0]?.error !== undefined && !(outcomes[0].error instanceof InvalidEventError);
      if (!down) outcomes.push(...(await Promise.all(rows.slice(1).map((row) => settle(this.publish(row))))));
      const sent: RelayedRow[] = [];
      let failed: { row: RelayedRow; error: unknown } | undefined;
      for (const [i, row] of rows.entries()) {
        const { error } = outcomes[i];
        if (!error) {
          sent.push(row);
          continue;
        }
        if (error instanceof InvalidEventError) {
          // Can never be published (writeOutbox validates, so this is a bug): park it, keep going.
          logger.error({ err: error, seq: row.seq, subject: row.subject }, 'outbox message is invalid and was skipped');
          await markAttempt(tx, table, row, error, true);
          continue;
        }
        // This row and the ones after it stay unsent, to go again in order (a later one that did
        // reach the stream is dropped then as a duplicate: same message id).
        failed = { row, error };
        break;
      }
      if (sent.length) {
        await tx.execute(`update ${table} set sent_at = ?, attempts = attempts + 1 where seq in (${sent.map(() => '?').join(', ')})`, [
          new Date(),
          ...sent.map((r) => r.seq),
        ]);
      }
      if (failed) {
        const attempts = await markAttempt(tx, table, failed.row, failed.error, false);
        logger.warn({ err: failed.error, seq: failed.row.seq, subject: failed.row.subject, attempts }, 'outbox publish failed, will retry');
      }
      return { sent: sent.length, failed: !!failed, busy: false };
    });
  }
}

/** What the relay reads of an outbox row (column names as stored). */
interface RelayedRow {
  seq: string;
  id: string;
  msg_id: string | null;
  subject: string;
  kind: string;
  payload: Record<string, unknown>;
  broadcast_subject: string | null;
  broadcast_payload: Record<string, unknown> | null;
  followers: OutboxFollower[] | null;
  trace_context: string | null;
}

/** Records a failed attempt (and parks the row as sent when it can never be published); answers the attempts so far. */
async function markAttempt(tx: EntityManager, table: string, row: RelayedRow, error: unknown, park: boolean): Promise<number> {
  const message = error instanceof Error ? error.message : String(error);
  const [updated] = await tx.execute<{ attempts: number }[]>(
    `update ${table} set attempts = attempts + 1, last_error = ?${park ? ', sent_at = ?' : ''} where seq = ? returning attempts`,
    [message, ...(park ? [new Date()] : []), row.seq],
  );
  return updated?.attempts ?? 0;
}

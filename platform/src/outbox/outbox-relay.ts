import { type DurableSubject, type EventBus, type FanoutSubject, InvalidEventError, type PayloadOf } from '@app/events';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from '../observability/logger.js';
import { SerialLoop } from '../serial-loop.js';
import { withService } from '../tracing/service-context.js';
import { deserializeTraceContext } from '../tracing/trace-context.js';
import { outboxEntity } from './outbox-message.js';

const HOUR_MS = 60 * 60_000;

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
 * Publishes a service's outbox: unsent rows in `seq` order, durable subjects with `bus.publish`
 * and the row's `msgId` (or its id) as message id (a re-publish after a crash is dropped by
 * JetStream's dedupe window), `live.*` with `bus.broadcast`; then marks them sent. It polls, and
 * is nudged right after every commit that wrote rows.
 *
 * With several replicas one relays at a time (a transaction-scoped advisory lock; the others skip
 * the round), which keeps the global order; rows are also taken `FOR UPDATE SKIP LOCKED`. A row
 * that fails to publish stops the round (order is kept) and is retried at the next one, with
 * `attempts` and `lastError` recorded. Sent rows are deleted once past `retentionMs`. Each
 * publish runs in the trace its row was written in (`traceContext`), so a trace follows a request
 * through the outbox onto the bus.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly loop: SerialLoop;
  /**
   * The context the relay's rounds run in: this service's, outside any trace. A nudge comes from
   * inside a request's or a handler's trace, and a timer set there would run every later round
   * (each poll's query) inside that trace.
   */
  private readonly loopContext;
  private lastPrune = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.loopContext = withService(ROOT_CONTEXT, options.name);
    this.loop = new SerialLoop({
      round: () => this.round(),
      intervalMs: options.pollIntervalMs,
      onError: (err) => options.logger.error({ err }, 'outbox relay round failed'),
    });
  }

  start(): void {
    context.with(this.loopContext, () => this.loop.start());
  }

  /** Publish soon: something was just committed. */
  nudge(): void {
    context.with(this.loopContext, () => this.loop.nudge());
  }

  /** Stops polling and waits for a round in progress. Unsent rows stay for the next start (any replica). */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One relay round: publishes unsent rows until none are left (or one fails). Returns how many were sent. */
  async relayOnce(): Promise<number> {
    // The usual poll finds nothing: one indexed read then, no transaction and no lock.
    if (!(await this.anyUnsent())) return 0;
    let total = 0;
    for (;;) {
      const result = await this.relayBatch();
      total += result.sent;
      if (result.busy) {
        // Another replica is relaying: it may have read before our rows were committed.
        this.loop.nudge();
        return total;
      }
      if (result.failed || result.sent < this.batchSize) return total;
    }
  }

  /** Deletes sent rows older than the retention; how many went. Safe on every replica at once. */
  async prune(now = new Date()): Promise<number> {
    const em = this.options.em.fork();
    return em.nativeDelete(outboxEntity(em), { sentAt: { $lt: new Date(now.getTime() - (this.options.retentionMs ?? 24 * HOUR_MS)) } });
  }

  private async anyUnsent(): Promise<boolean> {
    const em = this.options.em.fork();
    return (await em.findOne(outboxEntity(em), { sentAt: null }, { fields: ['seq'] })) !== null;
  }

  private async round(): Promise<void> {
    await this.relayOnce();
    if (Date.now() - this.lastPrune < (this.options.pruneIntervalMs ?? HOUR_MS)) return;
    this.lastPrune = Date.now();
    await this.prune().catch((err) => this.options.logger.warn({ err }, 'pruning the outbox failed'));
  }

  private async relayBatch(): Promise<{ sent: number; failed: boolean; busy: boolean }> {
    const { em, bus, logger, name, schema } = this.options;
    return em.fork().transactional(async (tx) => {
      const [lock] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(hashtext(?)) as locked', [
        `${name}-outbox:${schema}`,
      ]);
      if (!lock?.locked) return { sent: 0, failed: false, busy: true };
      const rows = await tx.find(
        outboxEntity(tx),
        { sentAt: null },
        { orderBy: { seq: 'asc' }, limit: this.batchSize, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
      );
      let sent = 0;
      for (const row of rows) {
        try {
          const publish = () =>
            row.kind === 'fanout'
              ? bus.broadcast(row.subject as FanoutSubject, row.payload as PayloadOf<FanoutSubject>)
              : bus.publish(row.subject as DurableSubject, row.payload as PayloadOf<DurableSubject>, { msgId: row.msgId ?? row.id });
          // In the writer's trace, as this service's work: the publish span continues the request.
          await (row.traceContext ? context.with(deserializeTraceContext(row.traceContext, this.loopContext), publish) : publish());
          row.sentAt = new Date();
          row.attempts += 1;
          sent++;
        } catch (err) {
          row.attempts += 1;
          row.lastError = err instanceof Error ? err.message : String(err);
          if (err instanceof InvalidEventError) {
            // Can never be published (writeOutbox validates, so this is a bug): park it, keep going.
            row.sentAt = new Date();
            logger.error({ err, seq: row.seq, subject: row.subject }, 'outbox message is invalid and was skipped');
            continue;
          }
          logger.warn({ err, seq: row.seq, subject: row.subject, attempts: row.attempts }, 'outbox publish failed, will retry');
          return { sent, failed: true, busy: false };
        }
      }
      return { sent, failed: false, busy: false };
    });
  }
}

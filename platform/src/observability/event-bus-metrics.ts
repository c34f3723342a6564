import { type DeadLetterStats, durableSubjects, type EventBus } from '@app/events';
import { Counter, Gauge, type Registry } from 'prom-client';
import { withTimeout } from '../with-timeout.js';

/** How long a scrape waits for the event bus: a NATS that does not answer must not hang `/metrics`. */
export const EVENT_BUS_SCRAPE_TIMEOUT_MS = 1_000;

export interface EventBusMetricsOptions {
  /** Default EVENT_BUS_SCRAPE_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * Adds the event bus's dead-letter figures to a service's registry, read at scrape time:
 *
 * - `events_bus_up` 1 when the bus answered within the bound, 0 otherwise (NATS down or slow).
 * - `events_dead_letters_stored{subject}` dead letters held now in the namespace's DLQ, one series
 *   per durable subject (0 when none). The DLQ is shared: every service reports the same figures,
 *   so aggregate with `max`, not `sum`. Absent while `events_bus_up` is 0: no stale figures.
 * - `events_dead_lettered_total{subject,consumer}` messages this process's bus dead-lettered since
 *   it started (a local count, reported even when NATS is down).
 *
 * At most one request to the server is outstanding per registry: a scrape that finds the previous
 * one still waiting (past its bound) waits on that one again rather than piling up another.
 */
export function registerEventBusMetrics(registry: Registry, bus: EventBus, options: EventBusMetricsOptions = {}): void {
  // Once per registry: a registry handed to two builders (embedded mode, tests) must not fail on a duplicate name.
  if (registry.getSingleMetric('events_bus_up')) return;
  const timeoutMs = options.timeoutMs ?? EVENT_BUS_SCRAPE_TIMEOUT_MS;

  let pending: Promise<DeadLetterStats> | undefined;
  const fetchStats = () =>
    (pending ??= bus.deadLetterStats().finally(() => {
      pending = undefined;
    }));
  // prom-client collects every metric of a scrape at once: the two gauges share one read.
  let scrape: Promise<DeadLetterStats | undefined> | undefined;
  const readStats = () =>
    (scrape ??= withTimeout(fetchStats(), timeoutMs, () => new Error(`event bus did not answer within ${timeoutMs} ms`))
      .catch(() => undefined)
      .finally(() => {
        scrape = undefined;
      }));

  new Gauge({
    name: 'events_bus_up',
    help: `1 when the event bus answered the scrape within ${timeoutMs} ms, 0 otherwise`,
    registers: [registry],
    async collect() {
      this.set((await readStats()) ? 1 : 0);
    },
  });

  new Gauge({
    name: 'events_dead_letters_stored',
    help: 'Dead letters held now in the dead-letter stream of this namespace, by original subject (shared by every service)',
    labelNames: ['subject'] as const,
    registers: [registry],
    async collect() {
      const stats = await readStats();
      this.reset();
      if (!stats) return;
      for (const subject of durableSubjects) this.set({ subject }, stats.storedBySubject[subject] ?? 0);
      // Subjects no longer in the catalog still count: their dead letters wait for an operator too.
      for (const [subject, count] of Object.entries(stats.storedBySubject)) this.set({ subject }, count);
    },
  });

  new Counter({
    name: 'events_dead_lettered_total',
    help: 'Messages this process dead-lettered since it started, by original subject and consumer (durable)',
    labelNames: ['subject', 'consumer'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { subject, consumer, count } of bus.deadLetteredCounts()) this.inc({ subject, consumer }, count);
    },
  });
}

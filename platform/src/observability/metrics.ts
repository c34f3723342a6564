import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * How often the event-loop delay monitor samples (prom-client's default: 10 ms). Its timer wakes
 * an idle process every tick: at 10 ms about 100 times a second in every service process, idle or
 * not (at rest the seven processes woke ~786 times a second, ~177 at 100 ms: bench/at-rest.ts).
 * At 100 ms a block of 100 ms or more is always seen and a shorter one in proportion to its
 * length; the lag metrics keep their names and meaning.
 */
const EVENT_LOOP_RESOLUTION_MS = 100;

/** One registry per service, so services sharing a process (embedded mode) keep their own figures. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    cacheFallbacks: new Counter({
      name: 'cache_fallbacks_total',
      help: 'Cache calls that failed (the shared cache down or slow) and were served without it, by cache and operation',
      labelNames: ['cache', 'operation'] as const,
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations by name, type and outcome',
      labelNames: ['operation', 'type', 'outcome'] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

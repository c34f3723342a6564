import { context, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';
import { tracingEnabled } from '../tracing/tracing-state.js';

export type { Logger };

let destination: DestinationStream | undefined;

/**
 * Where loggers created from now on write; undefined (the default): stdout. For tests that read
 * the log lines of services they start in-process.
 */
export function setLogDestination(stream: DestinationStream | undefined): void {
  destination = stream;
}

/** `trace_id` and `span_id` of the active span, so a log line leads to its trace. */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * JSON logs to stdout; `service` on every line, `requestId` on request-scoped children, and
 * `trace_id`/`span_id` inside a trace when tracing was started before the logger was made.
 */
export function createLogger(service: string, level = 'info'): Logger {
  const options = {
    level,
    base: { service },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.refreshToken'], remove: true },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Only with tracing on: otherwise a log line costs what it did before.
    ...(tracingEnabled() ? { mixin: traceFields } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

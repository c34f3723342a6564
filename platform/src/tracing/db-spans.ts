import { context, type Span, SpanKind, trace } from '@opentelemetry/api';
import { tracingEnabled } from './tracing-state.js';

const tracer = trace.getTracer('@app/platform/pg');

/** Where a query goes, for its span (pg's Client has these fields). */
export interface QueryTarget {
  host?: string;
  port?: number;
  database?: string;
}

/**
 * A CLIENT span for one Postgres statement, child of the active span; undefined with tracing off
 * or outside any trace (the relay's polls and other background queries would otherwise each
 * start a trace of their own).
 */
export function startQuerySpan(query: unknown, target: QueryTarget): Span | undefined {
  if (!tracingEnabled()) return undefined;
  const parent = context.active();
  if (!trace.getSpan(parent)) return undefined;
  const text =
    typeof query === 'string'
      ? query
      : typeof (query as { text?: unknown } | null)?.text === 'string'
        ? (query as { text: string }).text
        : '';
  const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
  return tracer.startSpan(
    operation,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system': 'postgresql',
        'db.system.name': 'postgresql',
        'db.operation.name': operation,
        'db.query.text': text,
        ...(target.database ? { 'db.namespace': target.database } : {}),
        ...(target.host ? { 'server.address': target.host } : {}),
        ...(target.port ? { 'server.port': target.port } : {}),
      },
    },
    parent,
  );
}

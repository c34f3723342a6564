import { type Context, context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';

/**
 * The active trace as W3C headers in JSON (`{"traceparent":"00-…"}`), for work that continues
 * later elsewhere (an outbox row, relayed after the commit); null outside a trace or with
 * tracing off.
 */
export function serializeTraceContext(): string | null {
  const active = context.active();
  if (!trace.getSpan(active)) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return carrier.traceparent ? JSON.stringify(carrier) : null;
}

/** The context serializeTraceContext saved, on top of `base` (its own span, if any, left out). */
export function deserializeTraceContext(saved: string | null | undefined, base: Context = ROOT_CONTEXT): Context {
  const parent = trace.deleteSpan(base);
  if (!saved) return parent;
  try {
    const carrier = JSON.parse(saved) as unknown;
    return carrier && typeof carrier === 'object' ? propagation.extract(parent, carrier as Record<string, string>) : parent;
  } catch {
    return parent;
  }
}

import { type Span, SpanStatusCode } from '@opentelemetry/api';

/** Marks a span failed with `err` (status and exception event). */
export function failSpan(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * Ends `span` when `result` settles (a rejection marks it failed) and gives `result` back as it
 * is: the caller awaits the same promise, or gets the same value, as without the span.
 */
export function endSpanWhenSettled<T>(span: Span, result: T): T {
  if (!(result instanceof Promise)) {
    span.end();
    return result;
  }
  result.then(
    () => span.end(),
    (err: unknown) => {
      failSpan(span, err);
      span.end();
    },
  );
  return result;
}

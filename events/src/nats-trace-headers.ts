import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import type { TraceHeaders } from './delivery.js';

/** The trace headers as NATS message headers (the same names: `traceparent`, `tracestate`). */
export function toNatsHeaders(trace: TraceHeaders): MsgHdrs {
  const result = natsHeaders();
  for (const [name, value] of Object.entries(trace)) result.set(name, value);
  return result;
}

/** The trace headers a NATS message carries, if any. */
export function fromNatsHeaders(hdrs: MsgHdrs | undefined): TraceHeaders | undefined {
  const traceparent = hdrs?.get('traceparent');
  if (!traceparent) return undefined;
  const tracestate = hdrs!.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

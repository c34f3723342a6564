/**
 * nats.js answers every request (each JetStream publish is one: it waits for the stream's ack)
 * through `RequestOne.resolver`, which resolves the caller's promise and then calls `cancel()`
 * to release the request; `cancel()` rejects that same promise with a new
 * `RequestError("cancelled")`. The promise is settled already, so the rejection is ignored, but
 * building the error captures a stack trace every time: 2.4% of the orders service's CPU and
 * 2.5% of the catalog's under the saga bench (nats-core 3.4.0).
 *
 * Here a successful answer releases its request as `cancel()` does (the timer stopped, the
 * request removed from the connection's mux) without building that error. A failed answer, and
 * any real cancel, goes through the library's own code unchanged. When `RequestOne` no longer
 * has that shape (another nats-core), nothing is changed.
 */
import { RequestOne } from '@nats-io/nats-core/internal';

interface RequestInternals {
  timer?: { cancel(): void };
  deferred: { resolve(value: unknown): void };
  mux: { cancel(request: unknown): void };
}

type Resolver = (this: RequestInternals, err: Error | null, msg: unknown) => void;

const PATCHED = Symbol.for('app.events.quietRequestRelease');

/** Installs the quiet release once per process; false: the library's shape is not the one known here. */
export function quietRequestRelease(): boolean {
  const proto = RequestOne.prototype as unknown as { resolver: Resolver; cancel: unknown; [PATCHED]?: true };
  if (proto[PATCHED]) return true;
  const original = proto.resolver;
  if (typeof original !== 'function' || typeof proto.cancel !== 'function' || !String(proto.cancel).includes('"cancelled"')) return false;
  proto.resolver = function resolver(this: RequestInternals, err: Error | null, msg: unknown) {
    if (err || !this.deferred || !this.mux) return original.call(this, err, msg);
    this.timer?.cancel();
    this.deferred.resolve(msg);
    this.mux.cancel(this);
  };
  proto[PATCHED] = true;
  return true;
}

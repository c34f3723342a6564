/**
 * nats.js writes its outbound buffer to the socket once per microtask turn (`flushPending`), so
 * one event that makes a handler publish, acknowledge and ask for more messages costs a write
 * (a syscall, and on loopback the receiver's wake-up) for each step that awaited something in
 * between. Those writes were ~13% of the orders service's CPU and ~16% of the catalog's under
 * the saga bench, three or four per message handled.
 *
 * This transport corks the socket at the first write of an event-loop turn and uncorks it in
 * that turn's check phase (`setImmediate`): everything written while the turn's I/O callbacks
 * and their microtasks ran leaves as one `writev`, in order, before the loop waits again. No
 * write waits for a timer or for more traffic; the added delay is the rest of the current turn.
 * `end()` on close uncorks what is buffered (Node's `Writable.end`).
 */
import { type ConnectionOptions, type NatsConnection, NatsConnectionImpl, setTransportFactory } from '@nats-io/nats-core/internal';
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport.js';

export class CoalescingTransport extends NodeTransport {
  private corked = false;

  override _send(frame: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (socket && !this.corked && !socket.destroyed) {
      this.corked = true;
      socket.cork();
      setImmediate(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    return super._send(frame);
  }
}

/** `connect` of `@nats-io/transport-node`, with writes coalesced per event-loop turn. */
export function connectCoalescing(options: ConnectionOptions): Promise<NatsConnection> {
  // The factory is process-wide and read when a connection dials: set it on every connect, as
  // the library's own `connect` does, so a connection made with that one meanwhile keeps working.
  setTransportFactory({ factory: () => new CoalescingTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(options);
}

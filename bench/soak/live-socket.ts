/**
 * A bare graphql-transport-ws client (the protocol graphql-ws speaks), so the soak controls every
 * step of a socket's life: connect, connection_init, subscribe, complete, and how it ends (a
 * polite close, a close without complete, or a dropped TCP connection with no close frame).
 */
import WebSocket from 'ws';

export interface Sink {
  next?(payload: { data?: any; errors?: any[] }): void;
  error?(errors: any[]): void;
  complete?(): void;
}

export class SocketError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class LiveSocket {
  private readonly sinks = new Map<string, Sink>();
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (raw) => {
      let message: any;
      try {
        message = JSON.parse(raw.toString());
      } catch {
        return;
      }
      if (message.type === 'ping') return this.send({ type: 'pong' });
      const sink = message.id ? this.sinks.get(message.id) : undefined;
      if (!sink) return;
      if (message.type === 'next') sink.next?.(message.payload);
      else if (message.type === 'error') {
        this.sinks.delete(message.id);
        sink.error?.(message.payload);
      } else if (message.type === 'complete') {
        this.sinks.delete(message.id);
        sink.complete?.();
      }
    });
  }

  /** Opens a socket and waits for connection_ack (rejects with the close code, or a transport error, or TIMEOUT). */
  static open(url: string, token: string | undefined, timeoutMs = 15_000): Promise<LiveSocket> {
    const ws = new WebSocket(url, 'graphql-transport-ws', { handshakeTimeout: timeoutMs, perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new SocketError('TIMEOUT', `no connection_ack in ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (err: SocketError) => {
        clearTimeout(timer);
        ws.removeAllListeners('message');
        reject(err);
      };
      ws.once('error', (err) => fail(new SocketError((err as NodeJS.ErrnoException).code ?? 'WS_ERROR', err.message)));
      ws.once('close', (code, reason) => fail(new SocketError(`CLOSE_${code}`, `closed before ack: ${code} ${reason}`)));
      ws.once('open', () =>
        ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} })),
      );
      const onAck = (raw: WebSocket.RawData) => {
        let message: any;
        try {
          message = JSON.parse(raw.toString());
        } catch {
          return;
        }
        if (message.type !== 'connection_ack') return;
        clearTimeout(timer);
        ws.off('message', onAck);
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        ws.on('error', () => undefined);
        resolve(new LiveSocket(ws));
      };
      ws.on('message', onAck);
    });
  }

  private send(message: unknown) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables: Record<string, unknown>, sink: Sink) {
    this.sinks.set(id, sink);
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** Ends one subscription from the client's side. */
  complete(id: string) {
    this.sinks.delete(id);
    this.send({ id, type: 'complete' });
  }

  /** A normal close (1000) and wait for the server's closing frame (or give up after `timeoutMs`). */
  async close(timeoutMs = 5_000) {
    this.ws.close(1000, 'bye');
    const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([this.closed, timer]);
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }

  /** Drops the TCP connection: no complete, no close frame (a client that vanished). */
  terminate() {
    this.ws.terminate();
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }
}

import { type AddressInfo, createServer, connect as netConnect, type Server } from 'node:net';

/** A message a client sent: its type byte ('Q' simple query, 'P' parse, 'B' bind, 'E' execute, 'S' sync...) and body. */
export interface WireMessage {
  type: string;
  body: Buffer;
}

/** The NUL-terminated strings at the start of a message body (a Parse's statement name and text; a Bind's portal and statement). */
export const cStrings = (body: Buffer, count: number): string[] => {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = body.indexOf(0, at);
    out.push(body.subarray(at, end).toString());
    at = end + 1;
  }
  return out;
};

/**
 * A TCP relay to Postgres that records the messages clients send through it: what crossed the
 * wire, not what the client was asked.
 */
export async function wireRelay(target: URL): Promise<{ port: number; messages: WireMessage[]; close(): void }> {
  const messages: WireMessage[] = [];
  const server: Server = createServer((client) => {
    const upstream = netConnect(Number(target.port || 5432), target.hostname);
    let pending = Buffer.alloc(0);
    let started = false; // the startup message has no type byte
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const header = started ? 5 : 4;
        if (pending.length < header) break;
        const length = started ? pending.readInt32BE(1) + 1 : pending.readInt32BE(0);
        if (pending.length < length) break;
        if (started) messages.push({ type: String.fromCharCode(pending[0]), body: Buffer.from(pending.subarray(5, length)) });
        pending = pending.subarray(length);
        started = true;
      }
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, messages, close: () => server.close() };
}

/** The URL of `databaseUrl` through a relay on `port`. */
export function throughRelay(databaseUrl: string, port: number): string {
  const through = new URL(databaseUrl);
  through.hostname = '127.0.0.1';
  through.port = String(port);
  return through.toString();
}

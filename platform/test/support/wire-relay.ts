import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer, connect as netConnect, type Server } from 'node:net';
import pg from 'pg';
import { PoolSafeClient } from '../../src/database/pool-safe-pg-client.js';

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
 * wire, not what the client was asked. `silence(true)` holds the server's answers back (a server
 * that stopped answering, with the connection open) until `silence(false)`: what arrives meanwhile
 * is dropped.
 */
export async function wireRelay(
  target: URL,
): Promise<{ port: number; messages: WireMessage[]; silence(on: boolean): void; close(): void }> {
  const messages: WireMessage[] = [];
  let silent = false;
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
    upstream.on('data', (chunk: Buffer) => {
      if (!silent) client.write(chunk);
    });
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    silence: (on) => {
      silent = on;
    },
    close: () => server.close(),
  };
}

/** The URL of `databaseUrl` through a relay on `port`. */
export function throughRelay(databaseUrl: string, port: number): string {
  const through = new URL(databaseUrl);
  through.hostname = '127.0.0.1';
  through.port = String(port);
  return through.toString();
}

/** A one-connection pool of the services' client through a relay, a direct observer connection, and a table of their own. */
export interface RelayedPool {
  table: string;
  /** The row `id` is committed (seen from another connection). */
  visible(id: string): Promise<boolean>;
  /** What the pool's one connection sent while `fn` ran. */
  sentDuring(fn: (client: pg.PoolClient) => Promise<void>): Promise<WireMessage[]>;
  /** A row written directly, outside the pool. */
  insertDirectly(id: string): Promise<void>;
  close(): Promise<void>;
}

export async function relayedPool(databaseUrl: string, tablePrefix: string): Promise<RelayedPool> {
  const table = `${tablePrefix}_${randomUUID().replaceAll('-', '')}`;
  const relay = await wireRelay(new URL(databaseUrl));
  // One connection: every test reuses it, so a BEGIN left held would show in the next one.
  const pool = new pg.Pool({ connectionString: throughRelay(databaseUrl, relay.port), max: 1, Client: PoolSafeClient });
  const observer = new pg.Client({ connectionString: databaseUrl });
  await observer.connect();
  await observer.query(`create table ${table} (id text primary key)`);
  return {
    table,
    visible: async (id) => (await observer.query(`select 1 from ${table} where id = $1`, [id])).rowCount === 1,
    async sentDuring(fn) {
      const client = await pool.connect();
      const before = relay.messages.length;
      try {
        await fn(client);
      } finally {
        client.release();
      }
      return relay.messages.slice(before);
    },
    insertDirectly: async (id) => void (await observer.query(`insert into ${table} (id) values ($1)`, [id])),
    async close() {
      await observer.query(`drop table if exists ${table}`);
      await observer.end();
      await pool.end();
      relay.close();
    },
  };
}

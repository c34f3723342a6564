import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PoolSafeClient } from '../src/database/pool-safe-pg-client.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
type Socket = { once(event: 'data', listener: () => void): void };

describe('PoolSafeClient: a connection opened inside a request does not keep its async context', () => {
  it("runs the socket's callbacks outside the context the connection was opened in", async () => {
    const request = new AsyncLocalStorage<string>();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, Client: PoolSafeClient });
    try {
      // The first checkout opens the connection, inside the request (as inside its transaction).
      const client = await request.run('request-1', () => pool.connect());
      client.release();
      const stream = (client as unknown as { connection: { stream: Socket } }).connection.stream;
      const seen = new Promise<string | undefined>((resolve) => stream.once('data', () => resolve(request.getStore())));
      const answered = await request.run('request-2', async () => (await pool.query('select 1 as one')).rows);
      expect(answered).toEqual([{ one: 1 }]);
      // The answer arrived in the socket's context: neither request's.
      expect(await seen).toBeUndefined();
    } finally {
      await pool.end();
    }
  });
});

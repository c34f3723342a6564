import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolSafeClient } from '../src/database/pool-safe-pg-client.js';
import { throughRelay, wireRelay } from './support/wire-relay.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const READ_TIMEOUT_MS = 800;

describe('PoolSafeClient: a server that stops answering (readTimeoutMillis)', () => {
  let relay: Awaited<ReturnType<typeof wireRelay>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    relay = await wireRelay(new URL(DATABASE_URL));
    pool = new pg.Pool({
      connectionString: throughRelay(DATABASE_URL, relay.port),
      max: 2,
      Client: PoolSafeClient,
      readTimeoutMillis: READ_TIMEOUT_MS,
    } as pg.PoolConfig);
    // The pool's clients report a socket's end as an error event; MikroORM listens the same way.
    pool.on('connect', (client) => client.on('error', () => {}));
  });
  afterAll(async () => {
    relay.silence(false);
    await pool.end();
    relay.close();
  });

  it('waits as long as answers come: a slow statement, and a transaction longer than the limit', async () => {
    const slow = await pool.query('select pg_sleep($1::float / 1000), 1 as done', [READ_TIMEOUT_MS / 2]);
    expect(slow.rows[0].done).toBe(1);
    const client = await pool.connect();
    try {
      await client.query('begin');
      // Each answer restarts the wait: the limit is on silence, not on the transaction.
      for (let i = 0; i < 3; i++) await client.query('select pg_sleep($1::float / 1000)', [READ_TIMEOUT_MS / 2]);
      await client.query('commit');
    } finally {
      client.release();
    }
  });

  it('fails the statement with `Query read timeout` once the server is silent for the limit, and drops the connection', async () => {
    const client = await pool.connect();
    relay.silence(true);
    const startedAt = performance.now();
    const outcome = await client.query('select 1 as one').then(
      () => 'answered',
      (err: Error) => err.message,
    );
    const waited = performance.now() - startedAt;
    relay.silence(false);
    client.release(new Error('given up'));
    expect(outcome).toMatch(/^Query read timeout/);
    expect(waited).toBeGreaterThanOrEqual(READ_TIMEOUT_MS);
    expect(pool.totalCount).toBe(0);
    // The next checkout is a new connection that answers.
    expect((await pool.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
  });
});

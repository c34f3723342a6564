import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_STATEMENT } from '../src/database/pool-safe-pg-client.js';
import { type RelayedPool, relayedPool } from './support/wire-relay.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('PoolSafeClient: a transaction BEGIN travels with its first statement, a LAST_STATEMENT with its COMMIT', () => {
  let fixture: RelayedPool;
  let table: string;
  const visible = (id: string) => fixture.visible(id);
  /** The simple queries the pool's one connection sent while `fn` ran. */
  const sentDuring = async (fn: (client: pg.PoolClient) => Promise<void>) =>
    (await fixture.sentDuring(fn)).filter((m) => m.type === 'Q').map((m) => m.body.subarray(0, -1).toString());

  beforeAll(async () => {
    fixture = await relayedPool(DATABASE_URL, 'pool_safe');
    table = fixture.table;
  });
  afterAll(() => fixture.close());

  it('sends `begin; <first statement>` as one query, and the transaction holds until its commit', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const sent = await sentDuring(async (client) => {
      expect((await client.query('begin', [])).command).toBe('BEGIN');
      const inserted = await client.query(`insert into ${table} (id) values ('${a}') returning id`, []);
      expect(inserted.rows).toEqual([{ id: a }]);
      expect(inserted.command).toBe('INSERT');
      await client.query(`insert into ${table} (id) values ('${b}')`);
      expect(await visible(a)).toBe(false); // still inside the transaction
      await client.query('commit', []);
    });
    expect(sent).toEqual([
      `begin;\ninsert into ${table} (id) values ('${a}') returning id`,
      `insert into ${table} (id) values ('${b}')`,
      'commit',
    ]);
    expect((await Promise.all([visible(a), visible(b)])).every(Boolean)).toBe(true);
  });

  it('a statement asked for as a promise (sent with a callback inside): its rows, its error with a stack through the caller; callbacks as before', async () => {
    await sentDuring(async (client) => {
      const result = await client.query('select $1::int as n', [7]);
      expect(result.rows).toEqual([{ n: 7 }]);
      expect(result.command).toBe('SELECT');
      const failed = await client.query(`select * from ${table}_missing`).then(
        () => null,
        (err: Error) => err,
      );
      expect(failed).toMatchObject({ code: '42P01' });
      expect(failed?.stack).toContain('pool-safe-pg-client.test.ts');
      const rows = await new Promise((resolve, reject) =>
        client.query('select 1 as one', (err: Error | undefined, res: pg.QueryResult) => (err ? reject(err) : resolve(res.rows))),
      );
      expect(rows).toEqual([{ one: 1 }]);
    });
  });

  it('a failing first statement: its own error, the rollback undoes it, and the connection carries on outside any transaction', async () => {
    const [taken, next] = [randomUUID(), randomUUID()];
    await fixture.insertDirectly(taken);
    await sentDuring(async (client) => {
      await client.query('begin');
      await expect(client.query(`insert into ${table} (id) values ('${taken}')`)).rejects.toMatchObject({ code: '23505' });
      await client.query('rollback');
    });
    await sentDuring(async (client) => {
      await client.query(`insert into ${table} (id) values ('${next}')`);
      expect(await visible(next)).toBe(true); // committed on its own: no transaction was left open
    });
  });

  it('a rollback undoes every statement of the transaction', async () => {
    const id = randomUUID();
    await sentDuring(async (client) => {
      await client.query('start transaction isolation level repeatable read');
      await client.query(`insert into ${table} (id) values ('${id}')`);
      expect((await client.query('show transaction_isolation')).rows[0].transaction_isolation).toBe('repeatable read');
      await client.query('rollback');
    });
    expect(await visible(id)).toBe(false);
  });

  it('a transaction that ends before any statement sends nothing', async () => {
    const id = randomUUID();
    const sent = await sentDuring(async (client) => {
      await client.query('begin');
      expect((await client.query('commit')).command).toBe('COMMIT');
    });
    expect(sent).toEqual([]);
    await sentDuring(async (client) => {
      await client.query(`insert into ${table} (id) values ('${id}')`);
    });
    expect(await visible(id)).toBe(true);
  });

  it('a statement with parameters gets its BEGIN sent just before it, in the same transaction', async () => {
    const id = randomUUID();
    await sentDuring(async (client) => {
      await client.query('begin');
      await client.query(`insert into ${table} (id) values ($1)`, [id]);
      expect(await visible(id)).toBe(false);
      await client.query('rollback');
    });
    expect(await visible(id)).toBe(false);
  });
  it('a LAST_STATEMENT goes out with the COMMIT, and the COMMIT after it costs no round trip', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const sent = await sentDuring(async (client) => {
      await client.query('begin');
      await client.query(`insert into ${table} (id) values ('${a}')`);
      const last = await client.query(`${LAST_STATEMENT} insert into ${table} (id) values ('${b}') returning id`);
      expect(last.rows).toEqual([{ id: b }]);
      expect(await visible(b)).toBe(true); // committed already
      expect((await client.query('commit')).command).toBe('COMMIT');
    });
    expect(sent).toEqual([
      `begin;\ninsert into ${table} (id) values ('${a}')`,
      `${LAST_STATEMENT} insert into ${table} (id) values ('${b}') returning id;\ncommit`,
    ]);
    expect(await visible(a)).toBe(true);
  });

  it('a transaction of one LAST_STATEMENT is one query; outside a transaction the mark is only a comment', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const sent = await sentDuring(async (client) => {
      await client.query('begin');
      await client.query(`${LAST_STATEMENT} insert into ${table} (id) values ('${a}')`);
      await client.query('commit');
      await client.query(`${LAST_STATEMENT} insert into ${table} (id) values ('${b}')`);
    });
    expect(sent).toEqual([
      `begin;\n${LAST_STATEMENT} insert into ${table} (id) values ('${a}');\ncommit`,
      `${LAST_STATEMENT} insert into ${table} (id) values ('${b}')`,
    ]);
    expect((await Promise.all([visible(a), visible(b)])).every(Boolean)).toBe(true);
  });

  it('a failed LAST_STATEMENT commits nothing: the transaction is rolled back as usual and the connection carries on', async () => {
    const [taken, first, next] = [randomUUID(), randomUUID(), randomUUID()];
    await fixture.insertDirectly(taken);
    await sentDuring(async (client) => {
      await client.query('begin');
      await client.query(`insert into ${table} (id) values ('${first}')`);
      await expect(client.query(`${LAST_STATEMENT} insert into ${table} (id) values ('${taken}')`)).rejects.toMatchObject({
        code: '23505',
      });
      await client.query('rollback');
    });
    expect(await visible(first)).toBe(false);
    await sentDuring(async (client) => {
      await client.query(`insert into ${table} (id) values ('${next}')`);
    });
    expect(await visible(next)).toBe(true);
  });

  it('anything but the COMMIT after a LAST_STATEMENT is refused, loudly', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await sentDuring(async (client) => {
      await client.query('begin');
      await client.query(`${LAST_STATEMENT} insert into ${table} (id) values ('${a}')`);
      await expect(client.query(`insert into ${table} (id) values ('${b}')`)).rejects.toThrow(/after the transaction was committed/);
    });
    expect(await visible(a)).toBe(true);
    expect(await visible(b)).toBe(false);
  });
});

import { randomUUID } from 'node:crypto';
import { defineEntity, p, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database/database.js';
import { executePrepared } from '../src/database/execute-prepared.js';
import { LAST_STATEMENT, PREPARED } from '../src/database/pool-safe-pg-client.js';
import { cStrings, type RelayedPool, relayedPool, type WireMessage } from './support/wire-relay.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** What crossed the wire, one word a message: `Q <text>`, `P <statement name or its text>`, `B <statement>`, `E`, `D`, `S`. */
const words = (messages: WireMessage[]) =>
  messages.map(({ type, body }) => {
    if (type === 'Q') return `Q ${body.subarray(0, -1).toString()}`;
    if (type === 'P') {
      const [name, text] = cStrings(body, 2);
      return `P ${name || text}`;
    }
    if (type === 'B') return `B ${cStrings(body, 2)[1]}`.trimEnd();
    return type;
  });
/** Round trips: a simple query or a Sync each. */
const roundTrips = (sent: string[]) => sent.filter((w) => w === 'S' || w.startsWith('Q ')).length;

describe('PoolSafeClient: prepared statements (parsed once per connection), with the BEGIN and COMMIT in their round trip', () => {
  let fixture: RelayedPool;
  let table: string;
  const visible = (id: string) => fixture.visible(id);
  const sentDuring = async (fn: (client: pg.PoolClient) => Promise<void>) => words(await fixture.sentDuring(fn));
  /** A statement text of its own (so it is new on the connection). */
  const insertText = (tag: string) => `insert into ${table} (id) values ($1) returning id, '${tag}' as tag`;

  beforeAll(async () => {
    fixture = await relayedPool(DATABASE_URL, 'prepared');
    table = fixture.table;
  });
  afterAll(() => fixture.close());

  it('is parsed once per connection, then only bound and executed: one round trip each time', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const text = insertText('once');
    const sent = await sentDuring(async (client) => {
      for (const id of ids) expect((await client.query(PREPARED + text, [id])).rows).toEqual([{ id, tag: 'once' }]);
    });
    const parses = sent.filter((w) => w.startsWith('P '));
    expect(parses).toHaveLength(1);
    expect(parses[0]).toMatch(/^P ps\d+_\d+$/);
    expect(sent.filter((w) => w === `B ${parses[0].slice(2)}`)).toHaveLength(3);
    expect(roundTrips(sent)).toBe(3);
    expect((await Promise.all(ids.map(visible))).every(Boolean)).toBe(true);
  });

  it('in a transaction, carries the BEGIN and (LAST_STATEMENT) the COMMIT: the whole transaction is one round trip', async () => {
    const text = `${LAST_STATEMENT} ${insertText('last')}`;
    const [warm, id] = [randomUUID(), randomUUID()];
    await sentDuring(async (client) => {
      await client.query(PREPARED + text, [warm]); // parsed (outside a transaction the mark is a comment)
    });
    const sent = await sentDuring(async (client) => {
      await client.query('begin');
      expect((await client.query(PREPARED + text, [id])).rows).toEqual([{ id, tag: 'last' }]);
      expect(await visible(id)).toBe(true); // committed already
      expect((await client.query('commit')).command).toBe('COMMIT');
    });
    const name = sent.find((w) => w.startsWith('B ps'))?.slice(2);
    expect(sent).toEqual(['P begin', 'B', 'E', `B ${name}`, 'D', 'E', 'P commit', 'B', 'E', 'S']);
    expect(await visible(warm)).toBe(true);
  });

  it('its first use in a transaction sends the BEGIN ahead of it (a Parse that fails must not follow a BEGIN that passed)', async () => {
    const id = randomUUID();
    const sent = await sentDuring(async (client) => {
      await client.query('begin');
      await client.query(PREPARED + insertText('first'), [id]);
      expect(await visible(id)).toBe(false); // inside the transaction
      await client.query('rollback');
    });
    expect(sent[0]).toBe('Q begin');
    expect(sent[1]).toMatch(/^P ps\d+_\d+$/);
    expect(await visible(id)).toBe(false);
  });

  it('a refused statement that carried the BEGIN and COMMIT commits nothing, rolls back, and stays prepared', async () => {
    const text = `${LAST_STATEMENT} ${insertText('refused')}`;
    const [warm, taken, next] = [randomUUID(), randomUUID(), randomUUID()];
    await fixture.insertDirectly(taken);
    await sentDuring(async (client) => {
      await client.query(PREPARED + text, [warm]);
      await client.query('begin');
      await expect(client.query(PREPARED + text, [taken])).rejects.toMatchObject({ code: '23505' });
      await client.query('rollback');
      await client.query('begin');
      await client.query(PREPARED + text, [next]);
      await client.query('commit');
    });
    expect(await visible(next)).toBe(true);
  });

  it('a statement that does not parse gives its syntax error every time, and the connection carries on', async () => {
    const id = randomUUID();
    await sentDuring(async (client) => {
      for (let i = 0; i < 2; i++) {
        await client.query('begin');
        await expect(client.query(`${PREPARED}selec $1::int`, [1])).rejects.toMatchObject({ code: '42601' });
        await client.query('rollback');
      }
      await client.query(PREPARED + insertText('after'), [id]);
    });
    expect(await visible(id)).toBe(true);
  });

  it('keeps 200 statements a connection; past them a new text runs unnamed (parsed every time), still answering', async () => {
    const sent = await sentDuring(async (client) => {
      for (let i = 0; i < 205; i++) expect((await client.query(`${PREPARED}select $1::int + ${i} as n`, [1])).rows).toEqual([{ n: i + 1 }]);
    });
    const named = sent.filter((w) => /^P ps\d+_\d+$/.test(w));
    expect(named.length).toBeLessThan(200); // earlier tests took some of the 200
    expect(sent.filter((w) => w.startsWith('P select'))).toHaveLength(205 - named.length);
  });
});

/** The table the statements below write, as MikroORM knows it (it wants one entity at least). */
const Event = defineEntity({
  name: 'Event',
  tableName: 'events',
  properties: { id: p.uuid().primary(), at: p.datetime(), note: p.string().nullable() },
});

describe('executePrepared: em.execute with parameters instead of inlined values', () => {
  const schema = `prepared_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let orm: MikroORM;

  beforeAll(async () => {
    orm = await openDatabase({ url: DATABASE_URL, schema, entities: [Event], migrations: [] });
    await orm.em.getConnection().execute(`create table ${schema}.events (id uuid primary key, at timestamptz not null, note text)`);
  });
  afterAll(async () => {
    await orm.em.getConnection().execute(`drop schema ${schema} cascade`);
    await orm.close();
  });

  it('numbers `?` outside quotes, sends a Date as its instant and an array as one value, and answers rows', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const at = new Date('2026-12-02T10:11:12.345Z');
    const em = orm.em.fork();
    await executePrepared(em, `insert into ${schema}.events (id, at, note) values (?, ?, 'what?'), (?, ?, ?)`, [a, at, b, at, 'x?']);
    const rows = await executePrepared<{ id: string; at: string; note: string }>(
      em,
      `select id, to_json(at) as at, note from ${schema}.events where id = any(?::uuid[]) order by note`,
      [[a, b]],
    );
    expect(rows.map((r) => ({ ...r, at: new Date(r.at) }))).toEqual([
      { id: a, at, note: 'what?' },
      { id: b, at, note: 'x?' },
    ]);
    // A `?` in a quoted name is part of the name; the same text again runs from what was kept of it.
    for (const value of ['v', 'w'])
      expect(await executePrepared(em, `select ?::text as "note?", 'lit?' as "b"`, [value])).toEqual([{ 'note?': value, b: 'lit?' }]);
  });

  it("runs in the caller's transaction, and a constraint's refusal is MikroORM's exception, as from em.execute", async () => {
    const [kept, undone] = [randomUUID(), randomUUID()];
    await executePrepared(orm.em.fork(), `insert into ${schema}.events (id, at) values (?, now())`, [kept]);
    await expect(
      orm.em.fork().transactional(async (tx) => {
        await executePrepared(tx, `insert into ${schema}.events (id, at) values (?, now())`, [undone]);
        await executePrepared(tx, `insert into ${schema}.events (id, at) values (?, now())`, [kept]);
      }),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    const left = await executePrepared(orm.em.fork(), `select id from ${schema}.events where id = any(?::uuid[])`, [[kept, undone]]);
    expect(left).toEqual([{ id: kept }]);
  });
});

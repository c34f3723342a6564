/**
 * The services' Postgres pools (openDatabase) against the real server: connections a burst
 * opened stay open, idle, for the pool's idle timeout (DB_POOL_IDLE_TIMEOUT_MS), so the next
 * burst does not pay for new server processes; then they are closed.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineEntity, p } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database/database.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** MikroORM wants one entity at least. */
const Marker = defineEntity({ name: 'PoolMarker', tableName: 'pool_markers', properties: { id: p.uuid().primary() } });

describe('openDatabase pool', () => {
  const opened: { orm: MikroORM; schema: string }[] = [];
  afterEach(async () => {
    for (const { orm, schema } of opened.splice(0)) {
      await orm.em.getConnection().execute(`drop schema if exists ${schema} cascade`);
      await orm.close();
    }
  });

  const open = async (options: { poolIdleTimeoutMs?: number; poolMax?: number } = {}) => {
    const schema = `pool_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const orm = await openDatabase({ url: DATABASE_URL, schema, entities: [Marker], migrations: [], ...options });
    opened.push({ orm, schema });
    return { orm, pool: (await orm.em.getConnection().getNativeClient()) as pg.Pool };
  };

  /** Three statements at once: the pool opens three connections. */
  const burst = (orm: MikroORM) => Promise.all([1, 2, 3].map(() => orm.em.fork().getConnection().execute('select pg_sleep(0.05)')));

  it('keeps the connections a burst opened for the idle timeout, then closes them', async () => {
    const { orm, pool } = await open({ poolIdleTimeoutMs: 1_500, poolMax: 3 });
    await burst(orm);
    expect(pool.totalCount).toBe(3);
    await sleep(500);
    expect(pool.idleCount).toBe(3);
    // A second burst within the timeout is served by the same three.
    await burst(orm);
    expect(pool.totalCount).toBe(3);
    const deadline = Date.now() + 5_000;
    while (pool.totalCount > 0 && Date.now() < deadline) await sleep(50);
    expect(pool.totalCount).toBe(0);
  });

  it('keeps idle connections for a minute by default (pg alone closes them after 10 s)', async () => {
    const { pool } = await open();
    expect((pool as unknown as { options: { idleTimeoutMillis: number } }).options.idleTimeoutMillis).toBe(60_000);
  });
});

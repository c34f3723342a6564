/**
 * patches/@mikro-orm+core+7.2.1.patch (mikro-orm-patch.ts): applied by the install, and entities
 * loaded from the real database still read, write and flush their properties, now through one
 * getter/setter pair per property shared by every instance (and so one hidden class).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineEntity, p } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database/database.js';
import { mikroOrmPatched, PATCHED_FILE, PATCHED_MARK } from '../src/database/mikro-orm-patch.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const Runner = defineEntity({
  name: 'PatchRunner',
  tableName: 'patch_runners',
  properties: { id: p.uuid().primary(), name: p.string(), laps: p.integer() },
});

describe('@mikro-orm/core patch', () => {
  const schema = `orm_patch_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let orm: MikroORM;
  beforeAll(async () => {
    orm = await openDatabase({ url: DATABASE_URL, schema, entities: [Runner], migrations: [] });
    await orm.em
      .getConnection()
      .execute(`create table ${schema}.patch_runners (id uuid primary key, name text not null, laps int not null)`);
  });
  afterAll(async () => {
    await orm.em.getConnection().execute(`drop schema if exists ${schema} cascade`);
    await orm.close();
  });

  it('is applied by npm install, and the check looks for what the patch adds to the file it changes', () => {
    expect(mikroOrmPatched()).toBe(true);
    const patch = readFileSync(fileURLToPath(new URL('../../patches/@mikro-orm+core+7.2.1.patch', import.meta.url)), 'utf8');
    expect(patch).toContain(`+++ b/node_modules/@mikro-orm/core/${PATCHED_FILE}`);
    expect(patch.split('\n').filter((line) => line.startsWith('+') && line.includes(PATCHED_MARK))).toHaveLength(1);
  });

  it('loads, changes and flushes entities through one accessor pair per property', async () => {
    const [a, b] = [randomUUID(), randomUUID()].sort();
    await orm.em.getConnection().execute(`insert into ${schema}.patch_runners values ('${a}', 'Aki', 3), ('${b}', 'Bo', 5)`);

    const em = orm.em.fork();
    const [first, second] = await em.find(Runner, { id: { $in: [a, b] } }, { orderBy: { id: 'asc' } });
    expect([first!.name, first!.laps, second!.name, second!.laps]).toEqual(['Aki', 3, 'Bo', 5]);
    expect(Object.keys(first!)).toEqual(expect.arrayContaining(['id', 'name', 'laps']));
    const own = (entity: object, name: string) => Object.getOwnPropertyDescriptor(entity, name)!;
    expect(own(first!, 'name').get).toBe(own(second!, 'name').get);
    expect(own(first!, 'laps').set).toBe(own(second!, 'laps').set);
    expect(own(first!, 'name').get).not.toBe(own(first!, 'laps').get);

    first!.laps = 4;
    second!.name = 'Bea';
    expect([first!.laps, second!.name]).toEqual([4, 'Bea']);
    await em.flush();

    const rows = await orm.em.getConnection().execute(`select name, laps from ${schema}.patch_runners order by id`);
    expect(rows).toEqual([
      { name: 'Aki', laps: 4 },
      { name: 'Bea', laps: 5 },
    ]);
  });
});

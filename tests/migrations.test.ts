/**
 * For each service, the committed migrations produce exactly the tables its entities describe:
 * migrate a throwaway schema, then ask MikroORM what it would change to match the entities.
 * The answer must be nothing (else: `npm run migration:create -- <service> <name>`).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase } from '@app/platform';
import type { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, inject, it } from 'vitest';

const SERVICES = ['auth', 'users', 'workouts', 'catalog', 'orders'];
const root = join(import.meta.dirname, '..');

/** The same filtering as scripts/make-migration.ts: only this schema's statements, no session settings. */
function pendingStatements(sql: string, schema: string): string[] {
  return sql
    .split(/;\n/)
    .map((s) => s.trim().replace(/;$/, '').replaceAll(`"${schema}".`, ''))
    .filter((s) => s && !s.startsWith('set ') && !/^(create|drop) schema/i.test(s))
    .filter((s) => !/"[^"]+"\."[^"]+"/.test(s));
}

/**
 * What MikroORM would change in `schema`. It reads the whole database's catalog to find out, so a
 * schema or table another test drops meanwhile (they make throwaway ones too) can fail the read
 * ("does not exist", "could not open relation with OID"): read again.
 */
async function updateSchemaSQL(orm: MikroORM, schema: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await orm.schema.getUpdateSchemaSQL({ wrap: false, safe: false, schema });
    } catch (err) {
      const vanished = /does not exist|could not open relation|cache lookup failed/.test(String(err));
      if (attempt >= 5 || !vanished) throw err;
    }
  }
}

describe.each(SERVICES)('%s migrations', (service) => {
  it('produce exactly the schema the entities describe', async () => {
    const { database } = await import(join(root, 'subgraphs', service, 'src', 'database.ts'));
    expect(database.migrations.length).toBeGreaterThan(0);
    const url = inject('env').DATABASE_URL;
    const schema = `migcheck_${service.replace(/-/g, '_')}_${randomBytes(4).toString('hex')}`;
    let orm: MikroORM | undefined;
    try {
      orm = await openDatabase({ url, schema, entities: database.entities, migrations: database.migrations, poolMax: 1 });

      // Every committed migration ran, in the throwaway schema (and nowhere else).
      const executed = await orm.migrator.getExecuted();
      expect(executed.map((m: { name: string }) => m.name)).toEqual(database.migrations.map((m: { name: string }) => m.name));
      const tables = await orm.em
        .getConnection()
        .execute<{ table_name: string }[]>(`select table_name from information_schema.tables where table_schema = ?`, [schema]);
      expect(tables.length).toBeGreaterThan(1);

      const sql = await updateSchemaSQL(orm, schema);
      const pending = pendingStatements(sql, schema);
      expect(
        pending,
        `entities and migrations of ${service} disagree; run npm run migration:create -- ${service} <name>:\n${pending.join(';\n')}`,
      ).toEqual([]);

      // Applying the migrations again changes nothing.
      expect(await orm.migrator.up()).toEqual([]);
    } finally {
      if (orm) {
        await orm.em.getConnection().execute(`drop schema if exists "${schema}" cascade`);
        await orm.close();
      }
    }
  });
});

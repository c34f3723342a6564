import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';
import { PREPARED } from './pool-safe-pg-client.js';

/**
 * `em.execute` for a hot statement: the same SQL (`?` placeholders) in the caller's transaction
 * (or none), run as a prepared statement with its values as parameters instead of inlined into
 * the text. Postgres then parses it once per connection and plans it from a cached plan: for the
 * saga's one-statement writes (a dozen CTEs) parsing and planning were most of Postgres' work, 3-4
 * ms a statement against 0.6 ms prepared. The text must not vary with the values (it names a
 * statement kept on every connection); a list of values is one array parameter (`= any(?::uuid[])`).
 *
 * Values: a Date is sent as its ISO instant (every column here is timestamptz), the rest as pg
 * sends them (an array as a Postgres array). Rows come back as pg parses them, and errors as
 * MikroORM's exceptions, as from `em.execute`.
 */
export async function executePrepared<T = Record<string, unknown>>(
  em: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<T[]> {
  const client =
    em.getTransactionContext<ReturnType<ReturnType<EntityManager['getConnection']>['getClient']>>() ??
    em.getConnection('write').getClient();
  const values = params.map((value) => (value instanceof Date ? value.toISOString() : value));
  try {
    const { rows } = await client.executeQuery(CompiledQuery.raw(PREPARED + numberPlaceholders(sql), values));
    return rows as T[];
  } catch (err) {
    // As em.execute throws them: MikroORM's exception classes (a unique violation, a deadlock...).
    throw err instanceof Error ? em.getDriver().convertException(err) : err;
  }
}

/** Numbered texts by their `?` text: the same few statements come back all the time. */
const numbered = new Map<string, string>();
const NUMBERED_KEPT = 500;

/** `?` placeholders -> `$1`, `$2`, ... (a `?` inside quotes is left as it is; none may stand in a comment or be a jsonb operator). */
function numberPlaceholders(sql: string): string {
  const known = numbered.get(sql);
  if (known !== undefined) return known;
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote) {
      if (c === quote) quote = null;
      out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else out += c === '?' ? `$${++n}` : c;
  }
  if (numbered.size < NUMBERED_KEPT) numbered.set(sql, out);
  return out;
}

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
    const { rows } = await client.executeQuery(CompiledQuery.raw(preparedText(sql), values));
    return rows as T[];
  } catch (err) {
    // As em.execute throws them: MikroORM's exception classes (a unique violation, a deadlock...).
    throw err instanceof Error ? em.getDriver().convertException(err) : err;
  }
}

/** Statement texts as sent (PREPARED, `$n` placeholders) by their `?` text: the same few statements come back all the time. */
const prepared = new Map<string, string>();
const PREPARED_KEPT = 500;
/** A quoted name or literal (its `?` is not a placeholder; unterminated: to the end), or a placeholder. */
const QUOTED_OR_PLACEHOLDER = /'[^']*(?:'|$)|"[^"]*(?:"|$)|\?/g;

/**
 * PREPARED + `sql` with its `?` placeholders numbered `$1`, `$2`, ... (a `?` inside quotes is left
 * as it is; none may stand in a comment or be a jsonb operator). The replace builds one flat
 * string, and the concatenation kept here is made flat in place by its first read: the client reads
 * the text on every run (its PREPARED mark, the statement's name). Built a character at a time with
 * `+=`, it was a string of one piece per character, and a new concatenation with PREPARED on each
 * run, that V8 walked piece by piece on each read: 9% of the subgraphs' CPU under the saga.
 */
function preparedText(sql: string): string {
  const known = prepared.get(sql);
  if (known !== undefined) return known;
  let n = 0;
  const text = PREPARED + sql.replace(QUOTED_OR_PLACEHOLDER, (match) => (match === '?' ? `$${++n}` : match));
  if (prepared.size < PREPARED_KEPT) prepared.set(sql, text);
  return text;
}

import type { AuthDeps } from '../deps.js';
import type { User } from '../entities/index.js';

/** What the User type shows of an account. */
export type UserView = Pick<User, 'id' | 'username' | 'email' | 'lineUserId' | 'createdAt'>;

/**
 * The accounts with these ids, in the order asked, `null` where there is none: one query for
 * every User the gateway asks about in one request (the resolvers' DataLoader batches here).
 * Read as plain rows, not entities: every request that names a user's `username` through the
 * gateway lands here, and the ORM's query building and hydration were most of its cost.
 */
export async function findUsers(deps: AuthDeps, ids: readonly string[]): Promise<(UserView | null)[]> {
  // Raw SQL is not schema-qualified by the ORM: name the service's schema.
  const table = `"${deps.em.config.get('schema') ?? 'public'}".users`;
  // The ids as a Postgres array literal: they are UUIDs (the resolvers check), nothing to escape.
  const rows = await deps.em.execute<
    { id: string; username: string; email: string | null; line_user_id: string | null; created_at: Date }[]
  >(`select id, username, email, line_user_id, created_at from ${table} where id = any(?::uuid[])`, [`{${ids.join(',')}}`]);
  const byId = new Map(
    rows.map((row) => [
      row.id,
      { id: row.id, username: row.username, email: row.email, lineUserId: row.line_user_id, createdAt: row.created_at },
    ]),
  );
  return ids.map((id) => byId.get(id) ?? null);
}

import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';

/**
 * The accounts with these ids, in the order asked, `null` where there is none: one query for
 * every User the gateway asks about in one request (the resolvers' DataLoader batches here).
 */
export async function findUsers(deps: AuthDeps, ids: readonly string[]): Promise<(User | null)[]> {
  const rows = await deps.em.fork().find(User, { id: { $in: [...ids] } });
  const byId = new Map(rows.map((u) => [u.id, u]));
  return ids.map((id) => byId.get(id) ?? null);
}

import type { UserView } from '../account-store.js';
import type { AuthDeps } from '../deps.js';

export type { UserView } from '../account-store.js';

/**
 * The accounts with these ids, in the order asked, `null` where there is none: every User the
 * gateway asks about in one request (the resolvers' DataLoader batches here), from the cache of
 * accounts, one query for those it lacks.
 */
export function findUsers(deps: AuthDeps, ids: readonly string[]): Promise<(UserView | null)[]> {
  return deps.accounts.loadMany(ids);
}

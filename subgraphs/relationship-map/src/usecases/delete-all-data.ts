import type { EntityManager } from '@mikro-orm/postgresql';
import type { RelationshipMapDeps } from '../deps.js';
import { repositories } from '../repositories/index.js';

/** Every row this service holds about the user, in the caller's transaction. */
export async function deleteEverythingOf(tx: EntityManager, userId: string): Promise<void> {
  const repos = repositories(tx);
  await repos.maps.deleteForUser(userId);
  await repos.signals.deleteForUser(userId);
  await repos.links.deleteForUser(userId);
  await repos.preferences.deleteForUser(userId);
}

/** Seed 004 `DELETE /data/all`: maps, signals, the Facebook link and the preferences (back to defaults); the account stays. */
export async function deleteAllData(deps: RelationshipMapDeps, userId: string): Promise<Date> {
  await deps.em.fork().transactional((tx) => deleteEverythingOf(tx, userId));
  return new Date();
}

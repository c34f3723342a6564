import type { RelationshipMapDeps } from '../deps.js';
import { PreferencesRepository } from '../repositories/index.js';
import { type PreferencesView, toPreferencesView } from './preferences-view.js';

export async function getMapPreferences(deps: RelationshipMapDeps, userId: string): Promise<PreferencesView> {
  return toPreferencesView(await new PreferencesRepository(deps.em.fork()).find(userId));
}

import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { RelationshipMapDeps } from '../deps.js';
import { repositories } from '../repositories/index.js';
import { maxNodesSchema } from './map-inputs.js';
import { DISPLAY_MODES, type PreferencesView, toPreferencesView, UPDATE_FREQUENCIES } from './preferences-view.js';

const updateInput = z.object({
  maxNodes: maxNodesSchema.nullish(),
  updateFrequency: z.enum(UPDATE_FREQUENCIES, { error: 'updateFrequency must be STARTUP, DAILY or MANUAL' }).nullish(),
  displayMode: z.enum(DISPLAY_MODES, { error: 'displayMode must be MINIMAL or LABEL_EMPHASIS' }).nullish(),
});

/** Changes the given preferences (absent or null = unchanged); the others keep their value or default. */
export async function updateMapPreferences(deps: RelationshipMapDeps, userId: string, rawInput: unknown): Promise<PreferencesView> {
  const input = parseInput(updateInput, rawInput ?? {});
  return deps.em.fork().transactional(async (tx) => {
    const repos = repositories(tx);
    await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`map-preferences:${userId}`]);
    const current = toPreferencesView(await repos.preferences.find(userId));
    const saved = await repos.preferences.save(userId, {
      maxNodes: input.maxNodes ?? current.maxNodes,
      updateFrequency: input.updateFrequency ?? current.updateFrequency,
      displayMode: input.displayMode ?? current.displayMode,
    });
    return toPreferencesView(saved);
  });
}

import { randomUUID } from 'node:crypto';
import { AppError, parseInput, ValidationError } from '@app/platform';
import type { RelationshipMapDeps } from '../deps.js';
import type { RelationshipMap } from '../entities/index.js';
import { type ActivityLevel, placeNodes } from '../map/place-nodes.js';
import { MapRepository } from '../repositories/index.js';
import { DEFAULT_WINDOW_DAYS, getAggregateSignals } from './get-aggregate-signals.js';
import { getMapPreferences } from './get-map-preferences.js';
import { generateMapInput } from './map-inputs.js';

/**
 * The user's activity level when Facebook is connected and answers; null otherwise. A map never
 * fails because of Facebook: without signals the unhinted nodes go to MID and `basis` says so.
 */
async function activityFor(deps: RelationshipMapDeps, userId: string): Promise<{ activityVolume: ActivityLevel } | null> {
  if (!deps.facebook) return null;
  try {
    const signals = await getAggregateSignals(deps, userId, DEFAULT_WINDOW_DAYS);
    return { activityVolume: signals.activityVolume as ActivityLevel };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    deps.logger.debug({ userId, reason: err.details.reason }, 'map generated without Facebook signals');
    return null;
  }
}

/** Places the nodes (hint, else signals, else MID) and stores the map; see placeNodes for the rules. */
export async function generateMap(deps: RelationshipMapDeps, userId: string, rawInput: unknown): Promise<RelationshipMap> {
  const input = parseInput(generateMapInput, rawInput);
  const maxNodes = input.maxNodes ?? (await getMapPreferences(deps, userId)).maxNodes;
  if (input.nodes.length > maxNodes) {
    throw new ValidationError([{ field: 'nodes', message: `A map may have at most ${maxNodes} nodes; ${input.nodes.length} were given` }]);
  }
  const seed = input.seed ?? randomUUID();
  const needsSignals = input.nodes.some((n) => !n.userHint);
  const signals = needsSignals ? await activityFor(deps, userId) : null;
  const { nodes, basis } = placeNodes(input.nodes, { seed, jitter: input.jitterEnabled ?? true, signals });
  return new MapRepository(deps.em.fork()).create(userId, { seed, nodes, basis });
}

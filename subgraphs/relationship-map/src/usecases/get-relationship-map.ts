import { NotFoundError, parseInput, uuid } from '@app/platform';
import { z } from 'zod';
import type { RelationshipMapDeps } from '../deps.js';
import type { RelationshipMap } from '../entities/index.js';
import { MapRepository } from '../repositories/index.js';

const getMapInput = z.object({ id: uuid('Map id') });

/** One of the user's maps; another user's map is NOT_FOUND, exactly like a map that does not exist. */
export async function getRelationshipMap(deps: RelationshipMapDeps, userId: string, id: unknown): Promise<RelationshipMap> {
  const input = parseInput(getMapInput, { id });
  const map = await new MapRepository(deps.em.fork()).findByIdForUser(userId, input.id);
  if (!map) throw new NotFoundError('Relationship map');
  return map;
}

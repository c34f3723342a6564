import { pageArgs, parseInput } from '@app/platform';
import { z } from 'zod';
import type { RelationshipMapDeps } from '../deps.js';
import type { RelationshipMap } from '../entities/index.js';
import { MapRepository } from '../repositories/index.js';

const listInput = z.object(pageArgs);

/** The user's maps, newest first. */
export async function listRelationshipMaps(deps: RelationshipMapDeps, userId: string, args: unknown): Promise<RelationshipMap[]> {
  const page = parseInput(listInput, args ?? {});
  return new MapRepository(deps.em.fork()).findNewestForUser(userId, page);
}

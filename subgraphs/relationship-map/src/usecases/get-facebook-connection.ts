import type { RelationshipMapDeps } from '../deps.js';
import { FacebookLinkRepository } from '../repositories/index.js';
import { type FacebookConnectionView, toConnectionView } from './facebook-connection-view.js';

export async function getFacebookConnection(deps: RelationshipMapDeps, userId: string): Promise<FacebookConnectionView> {
  return toConnectionView(await new FacebookLinkRepository(deps.em.fork()).find(userId));
}

import type { RelationshipMapDeps } from '../deps.js';
import { FacebookLinkRepository } from '../repositories/index.js';
import { toConnectionView, type FacebookConnectionView } from './facebook-connection-view.js';

export async function getFacebookConnection(deps: RelationshipMapDeps, userId: string): Promise<FacebookConnectionView> {
  return toConnectionView(await new FacebookLinkRepository(deps.em.fork()).find(userId));
}

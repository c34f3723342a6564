import type { RelationshipMapDeps } from '../deps.js';
import { repositories } from '../repositories/index.js';
import { type FacebookConnectionView, toConnectionView } from './facebook-connection-view.js';

/**
 * Forgets the token and every signal fetched with it. Works without Facebook being configured or
 * reachable (forgetting needs nobody's permission). Disconnecting twice changes nothing more.
 */
export async function disconnectFacebook(deps: RelationshipMapDeps, userId: string): Promise<FacebookConnectionView> {
  return deps.em.fork().transactional(async (tx) => {
    const repos = repositories(tx);
    const link = await repos.links.findForUpdate(userId);
    await repos.signals.deleteForUser(userId);
    if (!link?.encryptedToken) return { ...toConnectionView(link), disconnectedAt: link?.disconnectedAt ?? new Date() };
    const at = new Date();
    await repos.links.disconnect(userId, at);
    return { connected: false, facebookUserId: null, connectedAt: null, disconnectedAt: at };
  });
}

import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { RelationshipMapDeps } from '../deps.js';
import { repositories } from '../repositories/index.js';
import { type FacebookConnectionView, toConnectionView } from './facebook-connection-view.js';
import { facebookNotConfigured, fromFacebookError } from './facebook-errors.js';

const connectInput = z.object({
  accessToken: z
    .string({ error: 'accessToken is required' })
    .trim()
    .min(1, 'accessToken must not be empty')
    .max(4096, 'accessToken must be at most 4096 characters')
    .regex(/^[\x21-\x7e]+$/, 'accessToken must be printable ASCII without spaces'),
});

/**
 * Checks the token with Facebook first, then keeps it encrypted: a token Facebook refuses (or a
 * Facebook that does not answer) writes nothing. Connecting another Facebook account drops the
 * signals of the previous one.
 */
export async function connectFacebook(deps: RelationshipMapDeps, userId: string, rawInput: unknown): Promise<FacebookConnectionView> {
  const { accessToken } = parseInput(connectInput, rawInput);
  if (!deps.facebook) throw facebookNotConfigured();
  const { facebookUserId } = await deps.facebook.verifyToken(accessToken).catch(fromFacebookError);
  // Bound to the user: a ciphertext copied into another user's row does not decrypt.
  const encrypted = deps.cipher.encrypt(accessToken, userId);
  return deps.em.fork().transactional(async (tx) => {
    const repos = repositories(tx);
    const previous = await repos.links.findForUpdate(userId);
    if (previous?.facebookUserId !== facebookUserId) await repos.signals.deleteForUser(userId);
    return toConnectionView(await repos.links.connect(userId, facebookUserId, encrypted, new Date()));
  });
}

import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import { issueLineWebhookToken } from '../tokens.js';

const input = z.object({ lineUserId: z.string().regex(/^U[0-9a-f]{32}$/, "LINE user ids are 'U' followed by 32 lowercase hex digits") });

/** A short-lived access token of the account linked to a LINE user, for the gateway's webhook. */
export async function lineWebhookSession(
  deps: AuthDeps,
  rawInput: unknown,
): Promise<{ userId: string; accessToken: string; expiresIn: number }> {
  const { lineUserId } = parseInput(input, rawInput);
  const user = await deps.em.fork().findOne(User, { lineUserId });
  if (!user) throw new NotFoundError('Account linked to this LINE user');
  return { userId: user.id, ...(await issueLineWebhookToken(deps, user)) };
}

import { ServiceUnavailableError, type SubgraphContext, type SubgraphServerOptions, sendError, UnauthenticatedError } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { lineWebhookSession } from '../usecases/line-webhook-session.js';
import { internalKeyMatches } from './internal-key.js';

type HttpApp = Parameters<NonNullable<SubgraphServerOptions<SubgraphContext>['routes']>>[0];

/**
 * `POST /internal/line/session` `{ lineUserId }` -> `{ userId, accessToken, expiresIn }`: lets the
 * gateway act as a LINE user while it handles that user's webhook event. Not GraphQL, and safe
 * because:
 * - only holders of INTERNAL_API_KEY can call it (Bearer, compared in constant time);
 * - the gateway calls it only after verifying LINE's `x-line-signature` on the webhook, and takes
 *   the LINE user id from the signed event's `source.userId`, never from message text;
 * - the gateway does not route `/internal/*`, and in docker compose the auth port is not
 *   published (`expose` only), so it is reachable only from inside the deployment;
 * - the token lives 5 minutes, has no refresh token and no session record behind it.
 */
export function registerLineSessionRoute(app: HttpApp, deps: AuthDeps) {
  app.post('/internal/line/session', {
    // Checked before the body is parsed: a caller without the key learns nothing, not even whether its JSON was valid.
    onRequest: async (request, reply) => {
      const key = deps.config.INTERNAL_API_KEY;
      if (!key) return sendError(reply, request, new ServiceUnavailableError('The internal API is not configured (INTERNAL_API_KEY)'));
      if (!internalKeyMatches(request.headers.authorization, key)) {
        return sendError(reply, request, new UnauthenticatedError('A valid internal API key is required'));
      }
    },
    handler: async (request, reply) => reply.header('cache-control', 'no-store').send(await lineWebhookSession(deps, request.body)),
  });
}

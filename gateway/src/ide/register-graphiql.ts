import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ASSETS, SCRIPTS, STYLESHEETS } from './graphiql-assets.js';
import { ASSET_PATH, contentSecurityPolicy, IDE_PATH, renderPage } from './graphiql-page.js';

export { graphiqlLandingPage } from './landing-page.js';

/**
 * `/graphiql` (seed 003: a GraphQL IDE in development): GraphiQL over `/graphql` (HTTP for
 * queries and mutations, graphql-ws for subscriptions), served entirely from the gateway's own
 * dependencies, so it works offline. Disabled (production) nothing is registered and the path is
 * an ordinary 404.
 */
export function registerGraphiQL(app: FastifyInstance, { enabled }: { enabled: boolean }) {
  if (!enabled) return;

  app.get(IDE_PATH, async (_request, reply) => {
    // A fresh nonce per page, so the page itself is never cached.
    const nonce = randomBytes(16).toString('base64');
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', contentSecurityPolicy(nonce))
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(renderPage({ nonce, stylesheets: STYLESHEETS, scripts: SCRIPTS }));
  });

  app.get<{ Params: { name: string } }>(`${ASSET_PATH}/:name`, async (request, reply) => {
    const asset = ASSETS.get(request.params.name);
    if (!asset) return reply.callNotFound();
    return (
      reply
        .type(asset.type)
        // Versioned (or content-hashed) names: a name never changes content.
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .send(await asset.load())
    );
  });
}

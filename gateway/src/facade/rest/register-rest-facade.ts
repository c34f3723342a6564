import type { ApolloServer } from '@apollo/server';
import { UnauthenticatedError, version, type AuthContext } from '@app/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../server.js';
import { registerDocsPage } from './docs-page.js';
import { executeRoute, validateInput } from './execute-route.js';
import { buildOpenApiDocument } from './openapi.js';
import type { RestRoute } from './route.js';

export interface RestFacadeOptions {
  apollo: ApolloServer<GatewayContext>;
  routes: RestRoute[];
  /** Authenticates and rate-limits the request (shared with /graphql); throws AppErrors. */
  guard: (request: FastifyRequest, reply: FastifyReply) => Promise<AuthContext | undefined>;
}

/** Mounts every route of the table, `/api/openapi.json` and `/api/docs`. */
export function registerRestFacade(app: FastifyInstance, { apollo, routes, guard }: RestFacadeOptions) {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const auth = await guard(request, reply);
        if (route.auth === 'required' && !auth) throw new UnauthenticatedError();
        const input = validateInput(route, request);
        return executeRoute(apollo, route, input, auth, request, reply);
      },
    });
  }
  const document = buildOpenApiDocument(routes, { version });
  app.get('/api/openapi.json', async (_req, reply) => reply.send(document));
  registerDocsPage(app);
}

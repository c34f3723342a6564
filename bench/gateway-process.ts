/**
 * One gateway in its own process, for the gateway comparison: `ours` (this platform's gateway
 * with its production features: token verification, rate limit, depth/complexity limits, APQ),
 * `hive` (@graphql-hive/gateway's runtime) or `apollo` (a plain @apollo/gateway in Apollo Server).
 * All three serve the committed supergraph.graphql over the same running subgraphs, forwarding
 * the caller's Authorization header. Usage: gateway-process.ts <kind> <subgraph urls as JSON>.
 * Prints one JSON line `{ url }` when listening.
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const [kind, urlsJson] = process.argv.slice(2);
const subgraphUrls = JSON.parse(urlsJson) as Record<string, string>;
const supergraphPath = new URL('../supergraph.graphql', import.meta.url);

/** The supergraph with each join__graph url pointed at the running subgraph. */
function supergraphWithUrls(): string {
  return readFileSync(supergraphPath, 'utf8').replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (whole, name: string) => {
    const url = subgraphUrls[name];
    return url ? `@join__graph(name: "${name}", url: "${url}/graphql")` : whole;
  });
}

async function startOurs(): Promise<string> {
  const { buildGateway, loadGatewayConfig, subgraphUrlEnv } = await import('@app/gateway');
  const env: Record<string, string | undefined> = {
    ...process.env,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_ANONYMOUS: '100000000',
    RATE_LIMIT_USER: '100000000',
    AUTH_JWKS_URL: `${subgraphUrls.auth}/.well-known/jwks.json`,
  };
  const gateway = await buildGateway({ config: loadGatewayConfig({ ...env, ...subgraphUrlEnv(subgraphUrls) }) });
  const port = await gateway.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${port}/graphql`;
}

async function startHive(): Promise<string> {
  const { createGatewayRuntime } = await import('@graphql-hive/gateway');
  const runtime = createGatewayRuntime({
    supergraph: supergraphWithUrls(),
    logging: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => {
        const authorization = request.headers.get('authorization');
        return authorization ? { authorization } : {};
      },
    },
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

async function startApollo(): Promise<string> {
  const { ApolloGateway, RemoteGraphQLDataSource } = await import('@apollo/gateway');
  const { ApolloServer } = await import('@apollo/server');
  const { startStandaloneServer } = await import('@apollo/server/standalone');
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphWithUrls(),
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ authorization?: string }>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  return url; // the standalone server answers GraphQL on every path
}

const starters: Record<string, () => Promise<string>> = { ours: startOurs, hive: startHive, apollo: startApollo };
if (!starters[kind]) throw new Error(`unknown gateway kind ${kind}`);
const url = await starters[kind]();
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.on('SIGTERM', () => process.exit(0));

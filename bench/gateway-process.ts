/**
 * One gateway in its own process, for the gateway comparison: `ours` (this platform's gateway
 * with its production features: token verification, rate limit, depth/complexity limits, APQ),
 * `hive` (the @graphql-hive/gateway CLI, a child of this process) or `apollo` (a plain
 * @apollo/gateway in Apollo Server's standalone server). All three serve the committed
 * supergraph.graphql over the same running subgraphs, forwarding the caller's Authorization
 * header. Usage: gateway-process.ts <kind> <subgraph urls as JSON>.
 * Prints one JSON line `{ url }` when listening.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [kind, urlsJson] = process.argv.slice(2);
const subgraphUrls = JSON.parse(urlsJson) as Record<string, string>;
const supergraphPath = new URL('../supergraph.graphql', import.meta.url);

/** What to stop before this process exits (Hive's own process, its files). */
const cleanups: (() => Promise<void>)[] = [];

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

// The only setting Hive gets beyond its defaults: the caller's token passed on to the subgraphs.
const HIVE_CONFIG = `export const gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const authorization = request.headers.get('authorization');
      return authorization ? { authorization } : {};
    },
  },
};
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Hive Gateway as its docs start it: the `hive-gateway supergraph` CLI with its defaults (one
 * worker), a supergraph file and a config file holding only the header propagation. Runs as a
 * child of this process (its CPU counts in this process tree) until this process is stopped.
 */
async function startHive(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-hive-'));
  writeFileSync(join(dir, 'supergraph.graphql'), supergraphWithUrls());
  writeFileSync(join(dir, 'gateway.config.mjs'), HIVE_CONFIG);
  const port = await freePort();
  const bin = fileURLToPath(new URL('./bin.js', import.meta.resolve('@graphql-hive/gateway')));
  const args = ['supergraph', 'supergraph.graphql', '--host', '127.0.0.1', '--port', String(port), '--config-path', 'gateway.config.mjs'];
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  process.on('exit', () => child.kill('SIGTERM'));
  cleanups.push(async () => {
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'));
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hive-gateway exited with ${child.exitCode}`);
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      if (res.ok) return url;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('hive-gateway did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
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
process.on('SIGTERM', async () => {
  for (const cleanup of cleanups) await cleanup();
  process.exit(0);
});

/**
 * `npm start`: every service, in one process (embedded) or a process each (external Postgres,
 * Redis and NATS; see launchPlatform in scripts/platform.ts), then how to use it.
 */
import { ConfigError, createLogger, onShutdown } from '@app/platform';
import { DEFAULT_PORTS, isLoopbackHost, launchPlatform, type PlatformProcesses } from './platform.js';

const DEMO_ADMIN = { username: 'admin', password: 'admin-demo-2026' };
const PROCESSES_TEXT: Record<PlatformProcesses, string> = {
  one: 'one process',
  two: 'the gateway in one process, the subgraphs in another',
  'per-service': 'a process per service',
};

const env = { ...process.env };
const embedded = !env.DATABASE_URL;
// The embedded mode is a demo: it seeds an admin to log in with unless one is configured.
if (embedded && !env.ADMIN_USERNAME && !env.ADMIN_PASSWORD) {
  env.ADMIN_USERNAME = DEMO_ADMIN.username;
  env.ADMIN_PASSWORD = DEMO_ADMIN.password;
}
env.LOG_LEVEL ??= 'warn';

try {
  // The embedded demo comes with a sample catalog to order from.
  if (embedded) env.SEED_SAMPLE_CATALOG ??= 'true';
  const logger = createLogger('platform', env.LOG_LEVEL);
  const platform = await launchPlatform({
    env,
    // A service that dies leaves a platform that only partly answers: stop all of it, loudly.
    onServiceExit: (name, code) => {
      logger.fatal({ service: name, code }, `${name} stopped unexpectedly; stopping the platform`);
      void platform.close().finally(() => process.exit(1));
    },
  });
  const mode = [
    ...Object.entries(platform.embedded).map(([part, isEmbedded]) => `${part}: ${isEmbedded ? 'embedded' : 'external'}`),
    PROCESSES_TEXT[platform.processes],
  ].join(', ');
  const places: [string, string][] = [
    ['GraphQL gateway', platform.gatewayUrl],
    ...(env.NODE_ENV === 'production' ? [] : [['GraphiQL (IDE)', `${platform.urls.gateway}/graphiql`] as [string, string]]),
    ...Object.entries(platform.urls)
      .filter(([name]) => name !== 'gateway')
      .map(([name, url]): [string, string] => [`${name} subgraph`, `${url}/graphql`]),
    ['health', `${platform.urls.gateway}/health`],
    ['metrics', `${platform.urls.gateway}/metrics`],
  ];
  const width = Math.max(...places.map(([label]) => label.length));
  console.log(`
Federated platform is running (${mode})

${places.map(([label, url]) => `  ${label.padEnd(width)}  ${url}`).join('\n')}
${
  env.ADMIN_USERNAME && env.ADMIN_PASSWORD === DEMO_ADMIN.password
    ? `
Demo admin: username "${env.ADMIN_USERNAME}", password "${DEMO_ADMIN.password}". Log in with:

  curl -s ${platform.gatewayUrl} -H 'content-type: application/json' \\
    -d '{"query":"mutation { login(input: {usernameOrEmail: \\"${env.ADMIN_USERNAME}\\", password: \\"${DEMO_ADMIN.password}\\"}) { accessToken } }"}'

then send the token as "Authorization: Bearer <accessToken>", e.g. with
  {"query":"{ me { id username profile { locale } } }"}
`
    : ''
}${
  !isLoopbackHost(platform.host) && env.ADMIN_PASSWORD === DEMO_ADMIN.password
    ? `
WARNING: HOST=${platform.host} makes every service reachable from the network, and the demo admin's
password is public. Set ADMIN_USERNAME / ADMIN_PASSWORD, or leave HOST unset (127.0.0.1).
`
    : ''
}Stop with Ctrl+C.`);
  onShutdown(logger, [() => platform.close()]);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  const { code, port } = err as { code?: string; port?: number };
  if (code === 'EADDRINUSE') {
    // Usually an earlier `npm start` still running: say which port and how to find its holder.
    const service = Object.entries(DEFAULT_PORTS).find(([, p]) => p === port)?.[0];
    console.error(
      `failed to start: port ${port}${service ? ` (${service})` : ''} is in use. Find what holds it with: ss -ltnp 'sport = :${port}'`,
    );
    process.exit(1);
  }
  console.error('failed to start:', err);
  process.exit(1);
}

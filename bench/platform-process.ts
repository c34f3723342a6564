/**
 * Runs the platform in its own process for the benchmarks, so the load generator does not
 * share an event loop with the servers: as `npm start` does, a process per service with the real
 * Postgres, Redis and NATS (PLATFORM_PROCESSES=one keeps them in this one). Prints one JSON line
 * with the URLs and each service's process id when ready.
 */
import { FREE_PORTS, launchPlatform } from '../scripts/platform.js';

const platform = await launchPlatform({
  // The catalog's start-up re-announcement of every product (all earlier runs' products in the
  // shared database) would run under the first measurements: steady state is what is measured.
  env: {
    LOG_LEVEL: 'silent',
    RATE_LIMIT_ANONYMOUS: '100000000',
    RATE_LIMIT_USER: '100000000',
    // Seed 004's per-user quotas (100 maps a day) would stop the map benchmark after a second.
    RATE_LIMIT_SIGNALS_PER_HOUR: '100000000',
    RATE_LIMIT_MAP_GENERATE_PER_DAY: '100000000',
    RATE_LIMIT_MAP_OTHER_PER_DAY: '100000000',
    CATALOG_ANNOUNCE_ON_START: 'false',
  },
  ports: FREE_PORTS,
  dataDir: null,
});
process.stdout.write(
  `${JSON.stringify({ gatewayUrl: platform.gatewayUrl, urls: platform.urls, embedded: platform.embedded, pids: platform.pids, processes: platform.processes })}\n`,
);
const stop = async () => {
  await platform.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

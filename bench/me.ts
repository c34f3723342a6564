/** `me` through the gateway against the same read sent straight to the users subgraph. */
import type autocannon from 'autocannon';
import { type BenchUser, benchUsers } from './fixtures.js';
import {
  alternate,
  answersOf,
  cpuColumns,
  inTurn,
  type PlatformProcess,
  platformProbes,
  printIdleCpu,
  printTable,
  withoutGraphqlErrors,
} from './lib.js';

const PROFILE_ONLY = '{ me { id profile { locale displayName } } }';
const WITH_USERNAME = '{ me { id username profile { locale displayName } } }';

export interface MeComparison {
  rows: Record<string, string | number>[];
  /** Direct req/s over the gateway's (the "x the cost"): `me { id profile }`, and `me { id username profile }` (users + auth). */
  cost: { profile: number; twoSubgraphs: number };
}

/**
 * For every user (16 requests at a time): the gateway's and the subgraph's answer to
 * `me { id profile }` the same and about that user; `me { id username profile }` answered.
 */
async function checkAnswers(gatewayUrl: string, usersUrl: string, users: BenchUser[], requests: (query: string) => autocannon.Request[]) {
  const [viaGateway, direct] = await Promise.all([
    answersOf(gatewayUrl, requests(PROFILE_ONLY)),
    answersOf(usersUrl, requests(PROFILE_ONLY)),
  ]);
  const differs = viaGateway.findIndex((answer, n) => answer !== direct[n] || JSON.parse(answer).me.id !== users[n].userId);
  if (differs >= 0)
    throw new Error(`me of ${users[differs].userId}: the gateway answers ${viaGateway[differs]}, the users subgraph ${direct[differs]}`);
  await answersOf(gatewayUrl, requests(WITH_USERNAME));
}

/**
 * `me { id profile }` (one subgraph fetch) and `me { id username profile }` (users + auth)
 * through the platform's gateway, against `me { id profile }` sent straight to the users
 * subgraph, with `users` accounts' tokens in turn; rounds alternate. The cost of the gateway is
 * direct req/s over gateway req/s. CPU: the platform's gateway and subgraphs (one figure when
 * the platform runs in one process).
 */
export async function benchMe(
  platform: PlatformProcess,
  options: { seconds: number; rounds: number; users: number },
): Promise<MeComparison> {
  const users = await benchUsers(platform.gatewayUrl, options.users);
  const requests = (query: string): autocannon.Request[] =>
    users.map((u) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${u.token}` },
      body: JSON.stringify({ query }),
    }));
  const usersUrl = `${platform.urls.users}/graphql`;
  await checkAnswers(platform.gatewayUrl, usersUrl, users, requests);
  const probes = platformProbes(platform, { gateway: true });
  await printIdleCpu(probes);
  const scenarios = [
    { name: 'users subgraph directly: me { id profile }', url: usersUrl, query: PROFILE_ONLY },
    { name: 'gateway: me { id profile } (1 subgraph fetch)', url: platform.gatewayUrl, query: PROFILE_ONLY },
    { name: 'gateway: me { id username profile } (users + auth)', url: platform.gatewayUrl, query: WITH_USERNAME },
  ];
  const summary = await alternate(
    scenarios.map((s) => ({
      url: s.url,
      requests: inTurn(requests(s.query)),
      connections: 16,
      duration: options.seconds,
      verifyBody: withoutGraphqlErrors,
      probes,
    })),
    options.rounds,
  );
  const direct = summary[0].rps;
  const rows = scenarios.map((s, i) => ({
    scenario: s.name,
    'req/s': summary[i].rps,
    'p50 ms': summary[i].p50,
    'p99 ms': summary[i].p99,
    'x the cost': i === 0 ? '-' : `${(direct / summary[i].rps).toFixed(1)}x`,
    errors: summary[i].errors,
    ...cpuColumns(summary[i]),
  }));
  printTable(`me with its profile: ${users.length} users' tokens in turn, 16 connections, ${options.rounds} alternated rounds`, rows);
  return { rows, cost: { profile: direct / summary[1].rps, twoSubgraphs: direct / summary[2].rps } };
}

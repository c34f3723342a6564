import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { alternate, graphql, type PlatformProcess, printTable } from './lib.js';

const LABELS = ['家族', '親友A', '同僚', '恋人', '母', '父', '兄', '幼なじみ', '上司', '先輩', '後輩', 'サークル'];
const HINTS = ['near', 'mid', 'far', null];

/**
 * Seed 004's map generation through the REST facade (`POST /api/map/generate`, 12 nodes: validate,
 * place, store one row) and its picture (`GET /api/map/{id}.svg`), alternated. The platform
 * process raises the per-user seed-004 quotas so one bench user can run for the whole window.
 */
export async function benchMapGeneration(platform: PlatformProcess, seconds: number) {
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const password = `bench-${randomBytes(6).toString('hex')}-1`;
  await graphql(platform.gatewayUrl, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', {
    i: { username, email: `${username}@example.com`, password },
  });
  const { login } = await graphql(platform.gatewayUrl, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', {
    i: { usernameOrEmail: username, password },
  });
  const headers = { authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' };
  const body = JSON.stringify({
    nodes: LABELS.map((label, i) => ({ id: `node-${i + 1}`, label, customLabel: null, userHint: HINTS[i % HINTS.length] })),
    preferences: { maxNodes: 12, jitterEnabled: true },
  });
  const first = await fetch(`${platform.urls.gateway}/api/map/generate`, { method: 'POST', headers, body });
  if (first.status !== 200) throw new Error(`map generation failed: ${first.status} ${await first.text()}`);
  const { mapId } = (await first.json()) as { mapId: string };

  const generate: autocannon.Options = {
    url: `${platform.urls.gateway}/api/map/generate`,
    method: 'POST',
    headers,
    body,
    connections: 16,
    duration: seconds,
  };
  const picture: autocannon.Options = {
    url: `${platform.urls.gateway}/api/map/${mapId}.svg`,
    headers: { authorization: headers.authorization },
    connections: 16,
    duration: seconds,
  };
  const [gen, svg] = await alternate([generate, picture], 2);
  const rows = [
    { scenario: 'POST /api/map/generate (12 nodes, stored)', 'req/s': gen.rps, 'p50 ms': gen.p50, 'p99 ms': gen.p99, errors: gen.errors },
    { scenario: 'GET /api/map/{id}.svg (12 nodes)', 'req/s': svg.rps, 'p50 ms': svg.p50, 'p99 ms': svg.p99, errors: svg.errors },
  ];
  printTable('Relationship map through the REST facade (16 connections, 2 alternated rounds)', rows);
  return rows;
}

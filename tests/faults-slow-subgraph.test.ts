/**
 * A slow subgraph (a proxy in front of workouts that holds its answers): the gateway's time limit
 * (SUBGRAPH_TIMEOUT_MS) answers for it with SERVICE_UNAVAILABLE on its fields, and every other
 * subgraph's fields still arrive; a request that only needed the slow one gets 503 + Retry-After;
 * readiness calls it down. Once it is fast again, everything answers.
 */
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, platformEnv, registerAndLogin, serviceUrl, type TestUser } from './support/client.js';
import { type SlowProxy, startSlowProxy } from './support/faults/slow-proxy.js';

const SUBGRAPH_TIMEOUT_MS = 800;
let proxy: SlowProxy;
let gateway: GatewayService;
let base: string;
let user: TestUser;

beforeAll(async () => {
  proxy = await startSlowProxy(serviceUrl('workouts'));
  gateway = await buildGateway({
    config: loadGatewayConfig({
      ...platformEnv(),
      SUBGRAPH_WORKOUTS_URL: `${proxy.url}/graphql`,
      SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
    }),
  });
  base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
  user = await registerAndLogin('slowsub');
});
afterAll(async () => {
  await gateway?.close();
  await proxy?.close();
});

const ask = (query: string) => gql(query, undefined, { url: `${base}/graphql`, token: user.accessToken });
// ongoingWorkout is nullable: a failed fetch nulls it alone (a non-null root field would null `data`).
const BOTH = '{ me { id username } ongoingWorkout { id } }';

describe('a slow subgraph behind the gateway', () => {
  it('answers every field while the subgraph is quick', async () => {
    proxy.delayMs = 0;
    const result = await ask(BOTH);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({ me: { id: user.id, username: user.username }, ongoingWorkout: null });
  });

  it("gives up on it at the time limit: its fields are SERVICE_UNAVAILABLE, the other subgraphs' fields arrive", async () => {
    // Longer than the test's own time limit: an answer at all means the gateway gave up on it.
    proxy.delayMs = 60_000;
    const result = await ask(BOTH);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body.data?.me).toEqual({ id: user.id, username: user.username });
    expect(result.body.data).toHaveProperty('ongoingWorkout', null);
    // (@apollo/gateway reports a failed fetch without a path: the null field is where it applied.)
    expect(result.body.errors?.[0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) } });
    expect(JSON.stringify(result.body.errors)).not.toMatch(/127\.0\.0\.1|aborted|timeout/i);
  });

  it('answers 503 with Retry-After when nothing else was asked, and readiness says the subgraph is down', async () => {
    proxy.delayMs = 60_000;
    const result = await ask('{ workouts(limit: 1) { total } }');
    expect(result.status).toBe(503);
    expect(result.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    expect((await health.json()).checks['subgraph:workouts']).toMatchObject({ status: 'down', detail: 'timed out' });
  });

  it("passes on a subgraph's own 503 as SERVICE_UNAVAILABLE (not an internal error), the other fields intact", async () => {
    proxy.delayMs = 0;
    proxy.unavailable = true;
    try {
      const partial = await ask(BOTH);
      expect(partial.status).toBe(200);
      expect(partial.body.data?.me).toEqual({ id: user.id, username: user.username });
      expect(partial.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      const only = await ask('{ workouts(limit: 1) { total } }');
      expect(only.status).toBe(503);
      expect(only.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });
    } finally {
      proxy.unavailable = false;
    }
  });

  it('recovers as soon as the subgraph is quick again', async () => {
    proxy.delayMs = 0;
    const result = await ask(BOTH);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({ me: { id: user.id, username: user.username }, ongoingWorkout: null });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});

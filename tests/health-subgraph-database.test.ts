/**
 * The gateway's readiness counts a subgraph whose database is down as down (SPEC: "the gateway
 * counts a subgraph whose database is down as down"), and says which check failed; liveness
 * (`/healthz`) stays ok. A workouts replica on a throwaway embedded Postgres, which the test stops.
 */
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@app/platform';
import { buildWorkoutsService, loadWorkoutsConfig, type WorkoutsService } from '@app/workouts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEnv } from './support/client.js';

let database: EmbeddedPostgres;
let workouts: WorkoutsService;
let gateway: GatewayService;
let base: string;

beforeAll(async () => {
  database = await startEmbeddedPostgres(null);
  const env = { ...platformEnv(), DATABASE_URL: database.url, DB_POOL_MAX: '2' };
  workouts = await buildWorkoutsService({ config: loadWorkoutsConfig(env), databaseUrl: database.url });
  const port = await workouts.listen(0, '127.0.0.1');
  gateway = await buildGateway({
    config: loadGatewayConfig({ ...platformEnv(), SUBGRAPH_WORKOUTS_URL: `http://127.0.0.1:${port}/graphql` }),
  });
  base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await workouts?.close().catch(() => {});
  await database?.close().catch(() => {});
});

const health = async () => {
  const res = await fetch(`${base}/health`);
  return { status: res.status, body: await res.json() };
};

describe("gateway readiness and a subgraph's database", () => {
  it('is healthy while the database answers, and unhealthy naming the subgraph and its database once it is gone', async () => {
    const before = await health();
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body.checks['subgraph:workouts'].status).toBe('up');

    await database.close();
    const after = await health();
    expect(after.status).toBe(503);
    expect(after.body.status).toBe('unhealthy');
    expect(after.body.checks['subgraph:workouts']).toMatchObject({ status: 'down', detail: expect.stringContaining('database') });
    expect(after.body.checks['subgraph:users'].status).toBe('up');
    // Liveness is about the process: still ok.
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok');
  });
});

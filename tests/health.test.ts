/**
 * Operators' endpoints: liveness (/healthz), dependency health (/health, seed 004's shape
 * extended with every check) and Prometheus metrics (/metrics), on the gateway and each subgraph.
 */
import { buildGateway, loadGatewayConfig } from '@app/gateway';
import { describe, expect, inject, it } from 'vitest';
import { gql, platformEnv } from './support/client.js';
import { freePort } from './support/ports.js';

const SUBGRAPHS = ['auth', 'users', 'workouts', 'catalog', 'orders'];

interface HealthReport {
  status: string;
  timestamp: string;
  version: string;
  service?: string;
  checks: Record<string, { status: 'up' | 'down'; latencyMs?: number; detail?: string }>;
}

function expectHealthShape(body: HealthReport) {
  expect(['healthy', 'unhealthy']).toContain(body.status);
  expect(typeof body.timestamp).toBe('string');
  expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  expect(Math.abs(Date.now() - Date.parse(body.timestamp))).toBeLessThan(5 * 60_000);
  expect(typeof body.version).toBe('string');
  expect(body.version.length).toBeGreaterThan(0);
  expect(typeof body.checks).toBe('object');
}

describe('gateway', () => {
  const base = () => inject('urls').gateway;

  it('GET /healthz -> 200 ok', async () => {
    const res = await fetch(`${base()}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('GET /health -> 200 healthy, with each subgraph, the cache and the event bus up', async () => {
    const res = await fetch(`${base()}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as HealthReport;
    expectHealthShape(body);
    expect(body.status).toBe('healthy');
    const expected = ['cache', 'events', ...SUBGRAPHS.map((s) => `subgraph:${s}`)];
    for (const name of expected) expect(body.checks[name]?.status, `check ${name}: ${JSON.stringify(body.checks)}`).toBe('up');
    for (const check of Object.values(body.checks)) expect(check.status).toBe('up');
  });

  it('GET /metrics -> Prometheus text with request durations and GraphQL operation counts', async () => {
    // One named operation first, so the counter has a sample.
    const op = await gql('query HealthMetricsProbe { __typename }');
    expect(op.status).toBe(200);

    const res = await fetch(`${base()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP http_request_duration_seconds /m);
    expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram/m);
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{.*route="\/graphql".*\} \d+/m);
    expect(text).toMatch(/^# TYPE graphql_operations_total counter/m);
    expect(text).toMatch(/^graphql_operations_total\{[^}]*operation="HealthMetricsProbe"[^}]*\} \d+/m);
    expect(text).toMatch(/service="gateway"/);
  });

  it('GET /health -> 503 with the subgraph down when one cannot be reached', async () => {
    const port = await freePort();
    const config = loadGatewayConfig({ ...platformEnv(), SUBGRAPH_USERS_URL: `http://127.0.0.1:${port}/graphql` });
    const gateway = await buildGateway({ config });
    try {
      const bound = await gateway.listen(0, '127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${bound}/health`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as HealthReport;
      expectHealthShape(body);
      expect(body.status).toBe('unhealthy');
      expect(body.checks['subgraph:users'].status).toBe('down');
      expect(body.checks['subgraph:auth'].status).toBe('up');
      expect(body.checks.cache.status).toBe('up');
      expect(body.checks.events.status).toBe('up');

      // Liveness does not depend on the subgraphs: the process itself is fine.
      const live = await fetch(`http://127.0.0.1:${bound}/healthz`);
      expect(live.status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});

describe.each(SUBGRAPHS)('subgraph %s', (name) => {
  const base = () => inject('urls')[name];

  it('GET /healthz -> 200 ok', async () => {
    const res = await fetch(`${base()}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('GET /health -> 200 healthy with its dependencies up', async () => {
    const res = await fetch(`${base()}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthReport;
    expectHealthShape(body);
    expect(body.status).toBe('healthy');
    expect(Object.keys(body.checks).length).toBeGreaterThan(0);
    for (const [check, result] of Object.entries(body.checks)) expect(result.status, check).toBe('up');
    if (body.service !== undefined) expect(body.service).toBe(name);
  });

  it('GET /metrics -> Prometheus text', async () => {
    // One request of its own, so the /graphql route has samples.
    await gql('{ __typename }', undefined, { url: `${base()}/graphql` });
    const res = await fetch(`${base()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{.*route="\/graphql".*\} \d+/m);
    expect(text).toContain(`service="${name}"`);
    // Node's process metrics, the event-loop delay among them (sampled every 100 ms: metrics.ts).
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_p99_seconds gauge/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_max_seconds\{[^}]*\} \d/m);
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter/m);
  });
});

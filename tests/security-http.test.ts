/**
 * Issue #11, part B, items 10 to 12 through HTTP: cookie-authenticated REST writes need an
 * allowed Origin (or Referer), security headers on every service, the rate limiter counting
 * batches and bad tokens, the client address taken a configured number of proxy hops from the
 * right of X-Forwarded-For, and /metrics and the detailed /health for operators only.
 */
import { randomBytes } from 'node:crypto';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { platformEnv, registerAndLogin, serviceUrl, unique } from './support/client.js';
import { gatewayBase, rest, setCookies } from './support/rest.js';
import { liveClient } from './support/ws.js';

/** An extra gateway over the shared platform's subgraphs, with settings of its own. */
async function extraGateway(overrides: Record<string, string>): Promise<{ gateway: GatewayService; base: string }> {
  const gateway = await buildGateway({ config: loadGatewayConfig({ ...platformEnv(), ...overrides }) });
  return { gateway, base: `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}` };
}

const randomIp = () => `198.51.${randomBytes(2).join('.')}`;
// A window length of its own keeps a limited gateway's counters apart from every other gateway's.
const ownWindow = () => String(5000 + Math.floor(Math.random() * 4000));

async function graphql(base: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}
const typename = { query: '{ __typename }' };

/** A browser session: the access token only as the HttpOnly cookie. */
async function cookieSession() {
  const username = unique('csrf').slice(0, 30);
  const password = `pw-${randomBytes(6).toString('hex')}-9`;
  expect((await rest('POST', '/api/auth/register', { body: { username, email: `${username}@example.com`, password } })).status).toBe(201);
  const login = await rest('POST', '/api/auth/login', { body: { usernameOrEmail: username, password } });
  expect(login.status).toBe(200);
  return `access_token=${setCookies(login.headers).access_token.value}`;
}

describe('cookie-authenticated REST writes need an allowed Origin (CSRF)', () => {
  let cookie: string;
  const start = { startedAt: '2026-01-05T07:00:00Z' };
  const workouts = async () => (await rest('GET', '/api/workouts', { cookie, headers: { origin: gatewayBase() } })).body.total as number;
  beforeAll(async () => {
    cookie = await cookieSession();
  });

  it('refuses a foreign, a null or a missing Origin (and a foreign Referer) with 403 FORBIDDEN, and writes nothing', async () => {
    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { referer: 'https://evil.example/page' },
      {},
      // The same host on another port is another origin.
      { origin: gatewayBase().replace(/:\d+$/, ':1') },
    ] as Record<string, string>[]) {
      const res = await rest('POST', '/api/workouts', { cookie, body: start, headers, origin: false });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
      expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
    }
    expect(await workouts()).toBe(0);
  });

  it('accepts the gateway itself, a CORS origin and a same-origin Referer', async () => {
    const own = await rest('POST', '/api/workouts', { cookie, body: start, headers: { origin: gatewayBase() } });
    expect(own.status, own.text).toBe(201);
    const cors = await rest('POST', '/api/workouts', { cookie, body: start, headers: { origin: 'http://localhost:5173' } });
    expect(cors.status, cors.text).toBe(201);
    const referer = await rest('POST', '/api/workouts', { cookie, body: start, headers: { referer: `${gatewayBase()}/app/page` } });
    expect(referer.status, referer.text).toBe(201);

    // Every unsafe method is held to it: a foreign DELETE deletes nothing.
    const foreign = await rest('DELETE', `/api/workouts/${own.body.id}`, { cookie, headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect((await rest('GET', `/api/workouts/${own.body.id}/detail`, { cookie })).status).toBe(200);
  });

  it('a Bearer token is not a cookie: no Origin check (a page elsewhere cannot know the token)', async () => {
    const user = await registerAndLogin('csrfbearer');
    const res = await rest('POST', '/api/workouts', { token: user.accessToken, body: start, headers: { origin: 'https://evil.example' } });
    expect(res.status, res.text).toBe(201);
  });

  it('GET /api/logout stays a link any page may follow (seed 002)', async () => {
    const session = await cookieSession();
    const res = await rest('GET', '/api/logout', { cookie: session, headers: { referer: 'https://evil.example/' } });
    expect(res.status).toBe(302);
  });

  it("PUBLIC_URL's origin is the gateway's own (a gateway behind a proxy)", async () => {
    const extra = await extraGateway({ PUBLIC_URL: 'https://api.example.test' });
    try {
      const res = await fetch(`${extra.base}/api/workouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, origin: 'https://api.example.test' },
        body: JSON.stringify(start),
      });
      expect(res.status).toBe(201);
    } finally {
      await extra.gateway.close();
    }
  });
});

describe('security headers on every service', () => {
  const expectStrict = (headers: Headers, what: string) => {
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp, what).toMatch(/default-src 'none'/);
    expect(csp, what).toMatch(/frame-ancestors 'none'/);
    expect(headers.get('referrer-policy'), what).toBeTruthy();
  };

  it('the gateway: health, GraphQL, REST (errors too)', async () => {
    expectStrict((await fetch(`${gatewayBase()}/healthz`)).headers, '/healthz');
    expectStrict((await graphql(gatewayBase(), typename)).headers, '/graphql');
    expectStrict((await rest('GET', '/api/me')).headers, '/api/me 401');
    expectStrict((await rest('GET', '/api/nothing-here')).headers, '404');
  });

  it('each subgraph on its own port', async () => {
    for (const name of ['auth', 'users', 'workouts', 'catalog', 'orders', 'relationship-map']) {
      expectStrict((await fetch(`${serviceUrl(name)}/healthz`)).headers, `${name} /healthz`);
      expectStrict((await graphql(serviceUrl(name), typename)).headers, `${name} /graphql`);
    }
  });

  it('/api/docs gets a CSP that lets Swagger UI load its own files and nothing else, with no inline script', async () => {
    const res = await fetch(`${gatewayBase()}/api/docs`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script>/);
    for (const src of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])) {
      expect(src).toMatch(/^\/api\/docs\/assets\//);
      expect((await fetch(`${gatewayBase()}${src}`)).status, src).toBe(200);
    }
  });

  it('the map picture keeps its own strict CSP', async () => {
    const user = await registerAndLogin('hdrmap');
    const map = await rest('POST', '/api/map/generate', { token: user.accessToken, body: { nodes: [{ id: 'a', label: 'Aki' }] } });
    expect(map.status, map.text).toBe(200);
    const svg = await rest('GET', `/api/map/${map.body.mapId}.svg`, { token: user.accessToken });
    expect(svg.status).toBe(200);
    // Its own policy (inline styles of the SVG only), not the API's default.
    expect(svg.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('the rate limiter', () => {
  let limited: { gateway: GatewayService; base: string };
  beforeAll(async () => {
    // TRUST_PROXY=true (one proxy hop) gives each test a client address of its own.
    limited = await extraGateway({
      RATE_LIMIT_ANONYMOUS: '5',
      RATE_LIMIT_USER: '1000',
      RATE_LIMIT_WINDOW: ownWindow(),
      TRUST_PROXY: 'true',
    });
  });
  afterAll(() => limited?.gateway.close());

  it('counts a batch of N operations as N requests', async () => {
    const from = { 'x-forwarded-for': randomIp() };
    const batch = await graphql(limited.base, [typename, typename, typename, typename, typename], from);
    expect(batch.status).toBe(200);
    expect(batch.headers.get('x-ratelimit-remaining')).toBe('0');
    const next = await graphql(limited.base, typename, from);
    expect(next.status).toBe(429);
  });

  it('counts requests with a bad token against their address, before the 401', async () => {
    const from = { 'x-forwarded-for': randomIp() };
    for (let i = 0; i < 5; i++)
      expect((await graphql(limited.base, typename, { ...from, authorization: 'Bearer not.a.token' })).status).toBe(401);
    const anonymous = await graphql(limited.base, typename, from);
    expect(anonymous.status).toBe(429);
    // Past the limit a bad token is refused as a flood, not checked again.
    expect((await graphql(limited.base, typename, { ...from, authorization: 'Bearer not.a.token' })).status).toBe(429);
  });

  it('a WebSocket connection_init with a bad token counts too', async () => {
    // graphql-ws sends no custom headers: this socket is counted under 127.0.0.1 on a gateway of its own.
    const ws = await extraGateway({ RATE_LIMIT_ANONYMOUS: '2', RATE_LIMIT_WINDOW: ownWindow() });
    try {
      const url = `${ws.base}/graphql`;
      for (let i = 0; i < 2; i++) {
        const client = liveClient({ url, authorization: 'Bearer not.a.token' });
        expect(await client.closed).toBe(4403);
        await client.dispose();
      }
      expect((await graphql(ws.base, typename)).status).toBe(429);
    } finally {
      await ws.gateway.close();
    }
  });

  it('takes the client address one hop from the right of X-Forwarded-For (TRUST_PROXY=true): a spoofed left part changes nothing', async () => {
    const real = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await graphql(limited.base, typename, { 'x-forwarded-for': `${randomIp()}, ${real}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('TRUST_PROXY_HOPS=2: two proxies of ours, the client is the second entry from the right', async () => {
    const two = await extraGateway({ RATE_LIMIT_ANONYMOUS: '2', RATE_LIMIT_WINDOW: ownWindow(), TRUST_PROXY_HOPS: '2' });
    try {
      const real = randomIp();
      const proxy = randomIp();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await graphql(two.base, typename, { 'x-forwarded-for': `${randomIp()}, ${real}, ${proxy}` })).status);
      expect(statuses).toEqual([200, 200, 429]);
      // Another client through the same proxies has a counter of its own.
      expect((await graphql(two.base, typename, { 'x-forwarded-for': `${randomIp()}, ${proxy}` })).status).toBe(200);
    } finally {
      await two.gateway.close();
    }
  });
});

describe('operator endpoints', () => {
  const proxied = { 'x-forwarded-for': '203.0.113.9' };

  it('without OPERATOR_TOKEN: /metrics and the detailed /health only for a loopback client that came directly', async () => {
    for (const base of [gatewayBase(), serviceUrl('catalog')]) {
      // Through a proxy (a forwarding header), a loopback connection is not an operator.
      const metrics = await fetch(`${base}/metrics`, { headers: proxied });
      expect(metrics.status, base).toBe(404);
      expect(await metrics.text()).not.toMatch(/http_request_duration_seconds/);

      const health = await fetch(`${base}/health`, { headers: proxied });
      expect(health.status, base).toBe(200);
      const body = (await health.json()) as { status: string; checks: Record<string, Record<string, unknown>> };
      expect(body.status).toBe('healthy');
      expect(Object.keys(body.checks).length).toBeGreaterThan(0);
      // Up or down, nothing more: no latencies, no error texts.
      for (const check of Object.values(body.checks)) expect(Object.keys(check)).toEqual(['status']);

      expect((await fetch(`${base}/healthz`, { headers: proxied })).status).toBe(200);
      // Directly from this machine: everything (tests/health.test.ts).
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
    }
  });

  it('with OPERATOR_TOKEN: only its holders, wherever they come from', async () => {
    const token = randomBytes(24).toString('base64url');
    const extra = await extraGateway({ OPERATOR_TOKEN: token });
    try {
      expect((await fetch(`${extra.base}/metrics`)).status).toBe(401);
      expect((await fetch(`${extra.base}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
      const ok = await fetch(`${extra.base}/metrics`, { headers: { authorization: `Bearer ${token}`, ...proxied } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/http_request_duration_seconds/);

      const plain = (await (await fetch(`${extra.base}/health`)).json()) as { checks: Record<string, Record<string, unknown>> };
      for (const check of Object.values(plain.checks)) expect(Object.keys(check)).toEqual(['status']);
      const detailed = (await (await fetch(`${extra.base}/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        checks: Record<string, { latencyMs?: number }>;
      };
      expect(typeof detailed.checks['subgraph:users'].latencyMs).toBe('number');
      // The load balancer's view is unchanged: status and 200/503.
      expect((await fetch(`${extra.base}/healthz`)).status).toBe(200);
    } finally {
      await extra.gateway.close();
    }
  });

  it('GET /api/health (seed 004) stays public in its short shape', async () => {
    const res = await fetch(`${inject('urls').gateway}/api/health`, { headers: proxied });
    expect(res.status).toBe(200);
    expect(Object.keys(await res.json()).sort()).toEqual(['status', 'timestamp', 'version']);
  });
});

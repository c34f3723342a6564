/**
 * The embedded mode (what `npm start` runs with no service URLs): one process, PGlite over
 * pglite-socket, the in-memory cache and the in-process bus. The same flows work as against the
 * real servers: register, log in, read `me`; an order's saga runs to CONFIRMED over the in-process
 * bus; subscriptions are fed by it; and seed 004's map is made and looked at in a browser.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PORTS, type RunningPlatform, startPlatform } from '../scripts/platform.js';
import { DISTANCE_COLORS } from '../subgraphs/relationship-map/src/svg/map-geometry.js';
import { colourCoverage, hasChromium, nonBackgroundFraction, withPage } from './support/browser.js';
import { eventually, gql, unique } from './support/client.js';
import { liveClient } from './support/ws.js';

const ADMIN = { username: 'embedded_admin', password: 'embedded-admin-pass-1' };
let platform: RunningPlatform;
let url: string;

async function ok(query: string, variables: Record<string, unknown>, token?: string) {
  const res = await gql(query, variables, { url, token });
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data!;
}

async function login(usernameOrEmail: string, password: string) {
  return (await ok('mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }', { i: { usernameOrEmail, password } }))
    .login as { accessToken: string; user: { id: string } };
}

beforeAll(async () => {
  platform = await startPlatform({
    env: {
      DATABASE_URL: '',
      REDIS_URL: '',
      NATS_URL: '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PASSWORD_HASH_MEMORY_KIB: '1024',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      SEED_SAMPLE_CATALOG: 'true',
    },
    ports: FREE_PORTS,
    dataDir: null,
  });
  url = platform.gatewayUrl;
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

describe('embedded mode', () => {
  it('runs on PGlite, the in-memory cache and the in-process bus', () => {
    expect(platform.embedded).toEqual({ database: true, cache: true, bus: true });
  });

  it('a user registers, logs in and reads me { id username profile { locale } } through the gateway', async () => {
    const username = unique('emb');
    const password = 'embedded-pass-123';
    await ok('mutation($i: RegisterInput!) { register(input: $i) { id } }', {
      i: { username, email: `${username}@example.com`, password },
    });
    const session = await login(username, password);
    const { me } = await ok('{ me { id username profile { locale } } }', {}, session.accessToken);
    expect(me).toEqual({ id: session.user.id, username, profile: { locale: 'ja-JP' } });
  });

  it('serves the sample catalog, and an order is CONFIRMED with its transitions delivered to a subscriber', async () => {
    const { products } = await ok('{ products(limit: 5) { id name price stockQuantity } }', {});
    expect(products.length).toBeGreaterThan(0);
    const product = products.find((p: { stockQuantity: number }) => p.stockQuantity > 2);
    expect(product).toBeDefined();

    const username = unique('embo');
    const password = 'embedded-pass-123';
    await ok('mutation($i: RegisterInput!) { register(input: $i) { id } }', {
      i: { username, email: `${username}@example.com`, password },
    });
    const user = await login(username, password);

    const stock = liveClient({ url });
    const stockSub = stock.subscribe('subscription($ids: [ID!]!) { stockUpdated(productIds: $ids) { productId newQuantity } }', {
      ids: [product.id],
    });
    await new Promise((r) => setTimeout(r, 300));
    const { createOrder } = await ok(
      'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status } }',
      { i: { items: [{ productId: product.id, quantity: 2 }] } },
      user.accessToken,
    );
    const orders = liveClient({ url, token: user.accessToken });
    const orderSub = orders.subscribe('subscription($id: ID!) { orderUpdated(orderId: $id) { id status user { username } } }', {
      id: createOrder.id,
    });
    try {
      await eventually(
        async () =>
          (await ok('query($id: ID!) { order(id: $id) { status } }', { id: createOrder.id }, user.accessToken)).order.status ===
          'CONFIRMED',
      );
      const [stockEvent] = await stockSub.waitFor(1);
      expect(stockEvent.data!.stockUpdated).toEqual({ productId: product.id, newQuantity: product.stockQuantity - 2 });

      const admin = await login(ADMIN.username, ADMIN.password);
      await ok('mutation($id: ID!) { shipOrder(orderId: $id) { id } }', { id: createOrder.id }, admin.accessToken);
      await eventually(async () => orderSub.results.some((r) => r.data?.orderUpdated.status === 'SHIPPED'));
      expect(orderSub.results.at(-1)!.data!.orderUpdated).toEqual({ id: createOrder.id, status: 'SHIPPED', user: { username } });
    } finally {
      await stock.dispose();
      await orders.dispose();
    }
  });

  // Every service's connections share PGlite's one session: one connection's statement must run
  // with its own parameters, not with another's bound in between (patches/@electric-sql+pglite-socket).
  it('orders two users place at once are each read back at once by their buyer, while their sagas run', async () => {
    const { products } = await ok('{ products(limit: 20) { id stockQuantity } }', {});
    const product = products.reduce((a: { stockQuantity: number }, b: { stockQuantity: number }) =>
      b.stockQuantity > a.stockQuantity ? b : a,
    );
    const users = await Promise.all(
      [1, 2].map(async () => {
        const username = unique('embc');
        await ok('mutation($i: RegisterInput!) { register(input: $i) { id } }', {
          i: { username, email: `${username}@example.com`, password: 'embedded-pass-123' },
        });
        return login(username, 'embedded-pass-123');
      }),
    );
    const placeAndRead = async (user: { accessToken: string }) => {
      const { createOrder } = await ok(
        'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }',
        { i: { items: [{ productId: product.id, quantity: 1 }] } },
        user.accessToken,
      );
      const { order } = await ok('query($id: ID!) { order(id: $id) { id } }', { id: createOrder.id }, user.accessToken);
      return { placed: createOrder.id as string, read: order?.id as string | undefined };
    };
    for (let round = 0; round < 10; round++) {
      for (const { placed, read } of await Promise.all(users.map(placeAndRead))) expect(read).toBe(placed);
    }
  });
});

/** A REST call to the embedded gateway, as its own pages make it (a cookie goes with their Origin); the body is parsed when it is JSON. */
async function restCall(method: string, path: string, body?: unknown, cookie?: string) {
  const res = await fetch(`${platform.urls.gateway}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie, origin: platform.urls.gateway } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
  };
}

describe('embedded mode: the relationship map as a browser front end uses it (BFF cookie session)', () => {
  it('register, log in, initialize, set preferences, generate 9 nodes, and see the picture in Chromium', async () => {
    const username = unique('embmap');
    const password = 'embedded-pass-123';
    expect((await restCall('POST', '/api/auth/register', { username, email: `${username}@example.com`, password })).status).toBe(201);
    const login = await restCall('POST', '/api/auth/login', { usernameOrEmail: username, password });
    expect(login.status).toBe(200);
    const accessCookie = login.headers.getSetCookie().find((c) => c.startsWith('access_token='))!;
    const cookie = accessCookie.split(';')[0];

    const init = await restCall('POST', '/api/users/initialize', { locale: 'ja-JP' }, cookie);
    expect(init.status).toBe(201);
    expect(init.body.preferences).toEqual({ maxNodes: 12, updateFrequency: 'daily', displayMode: 'minimal' });
    const prefs = await restCall('PATCH', '/api/users/me/preferences', { maxNodes: 9, displayMode: 'label_emphasis' }, cookie);
    expect(prefs.body.preferences).toEqual({ maxNodes: 9, updateFrequency: 'daily', displayMode: 'label_emphasis' });

    const labels = ['家族', '親友A', '同僚', '恋人', '母', '幼なじみ', '上司', 'サークル', '<script>alert(1)</script>'];
    const hints = ['near', 'near', 'mid', 'near', 'mid', 'far', 'far', 'mid', 'far'];
    const tooMany = await restCall(
      'POST',
      '/api/map/generate',
      { nodes: [...labels, '十人目'].map((label, i) => ({ id: `n${i}`, label })) },
      cookie,
    );
    expect(tooMany.status).toBe(400);
    const generated = await restCall(
      'POST',
      '/api/map/generate',
      { nodes: labels.map((label, i) => ({ id: `n${i}`, label, userHint: hints[i] })) },
      cookie,
    );
    expect(generated.status).toBe(200);
    expect(generated.body.nodes).toHaveLength(9);

    const facebook = await restCall('POST', '/api/facebook/connect', { accessToken: 'EAAB-not-configured' }, cookie);
    expect(facebook.status).toBe(503);
    expect(facebook.body.message).toMatch(/Facebook integration is not configured/);

    if (!hasChromium) return console.warn('skipping the browser part: /usr/bin/chromium is missing (.ci/run installs it)');
    const seen = await withPage(
      async (page) => {
        let dialogs = 0;
        page.on('dialog', (d) => {
          dialogs++;
          void d.dismiss();
        });
        const response = await page.goto(`${platform.urls.gateway}${generated.body.svgUrl}`);
        expect(response?.status()).toBe(200);
        expect(response?.headers()['content-type']).toMatch(/^image\/svg\+xml/);
        const texts = await page.$$eval('text', (nodes) =>
          nodes.map((n) => ({ text: n.textContent ?? '', width: (n as SVGTextElement).getBBox().width })),
        );
        const scripts = await page.$$eval('script', (nodes) => nodes.length);
        // A clip, not fullPage: an SVG document has no scrollable page for Chromium to measure.
        const box = await page.evaluate(
          () => document.documentElement.getBoundingClientRect().toJSON() as { width: number; height: number },
        );
        const screenshot = await page.screenshot({
          clip: { x: 0, y: 0, width: Math.min(box.width, 520), height: Math.min(box.height, 560) },
        });
        return { texts, scripts, screenshot, dialogs };
      },
      { extraHTTPHeaders: { cookie }, viewport: { width: 520, height: 560 } },
    );
    mkdirSync('.scratch', { recursive: true });
    writeFileSync('.scratch/embedded-map.png', seen.screenshot);
    // Labels are drawn as text with real width (fonts present), the script label as text only.
    for (const label of ['家族', '親友A', 'サークル']) expect(seen.texts.find((t) => t.text === label)?.width ?? 0).toBeGreaterThan(10);
    expect(seen.texts.some((t) => t.text.startsWith('<script>'))).toBe(true);
    expect([seen.scripts, seen.dialogs]).toEqual([0, 0]);
    // Not a blank page: the rings, the card and the three node colours are on the screenshot.
    expect(nonBackgroundFraction(seen.screenshot)).toBeGreaterThan(0.3);
    const coverage = colourCoverage(seen.screenshot, Object.values(DISTANCE_COLORS));
    for (const colour of Object.values(DISTANCE_COLORS)) expect(coverage[colour], colour).toBeGreaterThan(0.002);
  }, 60_000);
});

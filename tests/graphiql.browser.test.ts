/**
 * Seed 003's GraphQL IDE at /graphiql, outside production only, working offline: the page and
 * every file it loads come from the gateway (the browser may reach nothing but 127.0.0.1), a
 * browser's GET /graphql leads there, and the editor runs queries over HTTP and subscriptions
 * over graphql-ws. Production serves neither the IDE nor a landing page.
 */

import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTS } from '../gateway/src/ide/graphiql-assets.js';
import { hasChromium, withPage } from './support/browser.js';
import { eventually, gql, loginAdmin, platformEnv, registerAndLogin, unique } from './support/client.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

async function started(env: Record<string, string>) {
  const gateway = await buildGateway({ config: loadGatewayConfig(env) });
  return { gateway, base: `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}` };
}

/** The query editor's whole content replaced, as text input into CodeMirror (no key-by-key completion). */
async function typeOperation(page: Page, text: string) {
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
  // GraphiQL parses the edit after a short debounce (then the run button knows the operation);
  // the page writes the query into the URL at that moment.
  await page.waitForURL((url) => url.searchParams.get('query') === text);
}

async function setHeaders(page: Page, json: string) {
  await page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(json);
}

const run = (page: Page) => page.locator('.graphiql-execute-button').click();
const resultText = (page: Page) => page.locator('.result-window').innerText();

const title = hasChromium
  ? 'GraphiQL at /graphiql'
  : 'GraphiQL at /graphiql (browser part SKIPPED: /usr/bin/chromium missing; .ci/run installs it)';

describe('GraphiQL at /graphiql (development)', () => {
  let dev: { gateway: GatewayService; base: string };
  beforeAll(async () => {
    dev = await started(platformEnv()); // NODE_ENV=test: not production
  });
  afterAll(() => dev?.gateway.close());

  it('serves the page with a strict CSP and only whitelisted, versioned assets of its own', async () => {
    const res = await fetch(`${dev.base}/graphiql`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toMatch(/Authorization.*Bearer/);
    expect(html).not.toMatch(/<script>|<style>| style=/); // no inline code for the CSP to allow

    const assets = [...html.matchAll(/(?:src|href)="(\/graphiql\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.filter((a) => a.endsWith('.css'))).toHaveLength(2);
    expect(assets.filter((a) => a.endsWith('.js'))).toHaveLength(4);
    for (const asset of assets) {
      const file = await fetch(`${dev.base}${asset}`);
      expect(file.status, asset).toBe(200);
      expect(file.headers.get('cache-control'), asset).toMatch(/max-age=31536000.*immutable/);
      expect(file.headers.get('content-type'), asset).toMatch(asset.endsWith('.css') ? /^text\/css/ : /^application\/javascript/);
      await file.arrayBuffer();
    }
    for (const path of [
      '/graphiql/assets/graphiql.min.js',
      '/graphiql/assets/..%2Fpackage.json',
      '/graphiql/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/graphiql/assets/',
    ]) {
      expect((await fetch(`${dev.base}${path}`)).status, path).toBe(404);
    }
  });

  it("a browser's GET /graphql gets an offline landing page that leads to /graphiql; API clients still get GraphQL", async () => {
    const landing = await fetch(`${dev.base}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(landing.status).toBe(200);
    const html = await landing.text();
    expect(html).toMatch(/http-equiv="refresh" content="0; url=\/graphiql"/);
    expect(html).toContain('href="/graphiql"');
    expect(html).not.toMatch(/https?:\/\/|<script/);

    const api = await fetch(`${dev.base}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': '1' },
    });
    expect(await api.json()).toEqual({ data: { __typename: 'Query' } });
  });

  describe.skipIf(!hasChromium)(`${title} in headless Chromium, offline`, () => {
    it('renders, runs { __typename }, uses the Headers editor, shows the docs and a live stockUpdated event; nothing leaves 127.0.0.1', async () => {
      const admin = await loginAdmin();
      const user = await registerAndLogin('ide');
      const created = await gql(
        'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }',
        { i: { name: unique('IDE product'), price: 3, stockQuantity: 5 } },
        { token: admin.accessToken },
      );
      expect(created.body.errors).toBeUndefined();
      const productId = created.body.data!.createProduct.id as string;
      const setStock = async (quantity: number) => {
        const res = await gql(
          'mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id } }',
          { i: { id: productId, stockQuantity: quantity } },
          { token: admin.accessToken },
        );
        expect(res.body.errors).toBeUndefined();
      };

      await withPage(
        async (page) => {
          const requests: string[] = [];
          const blocked: string[] = [];
          const sockets: string[] = [];
          const problems: string[] = [];
          // Offline: anything for another origin is recorded and refused.
          await page.route('**/*', (route) => {
            const url = route.request().url();
            if (new URL(url).origin === dev.base) return route.continue();
            blocked.push(url);
            return route.abort();
          });
          page.on('request', (request) => requests.push(request.url()));
          const connectionInits: unknown[] = [];
          page.on('websocket', (socket) => {
            sockets.push(socket.url());
            socket.on('framesent', ({ payload }) => {
              const message = JSON.parse(String(payload)) as { type: string; payload?: unknown };
              if (message.type === 'connection_init') connectionInits.push(message.payload);
            });
          });
          page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
          page.on('console', (message) => {
            if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
          });

          // A browser opening the endpoint lands in the IDE.
          await page.goto(`${dev.base}/graphql`);
          await page.waitForURL(`${dev.base}/graphiql`);
          await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
          await expect.poll(() => page.locator('.graphiql-query-editor').innerText()).toContain('mutation Login');
          expect(await page.locator('.token-hint').innerText()).toMatch(/login.*Authorization.*Bearer.*Headers/s);

          await typeOperation(page, '{ __typename }');
          await run(page);
          await expect.poll(() => resultText(page), { timeout: 10_000 }).toMatch(/"__typename":\s*"Query"/);

          // The Headers editor (open by default, as the hint says) carries the token.
          await setHeaders(page, JSON.stringify({ Authorization: `Bearer ${user.accessToken}` }));
          await typeOperation(page, '{ me { username } }');
          await run(page);
          await expect.poll(() => resultText(page), { timeout: 10_000 }).toContain(`"username": "${user.username}"`);
          expect(new URL(page.url()).search).not.toContain(user.accessToken);

          // The schema docs come from introspection through the same endpoint.
          await page.getByRole('button', { name: /documentation explorer/i }).click();
          const docs = page.locator('.graphiql-doc-explorer');
          await expect.poll(() => docs.innerText(), { timeout: 10_000 }).toMatch(/Query[\s\S]*Mutation[\s\S]*Subscription/);

          // A subscription typed in the editor runs over graphql-ws and shows each stock change.
          await typeOperation(page, `subscription { stockUpdated(productIds: ["${productId}"]) { productId newQuantity } }`);
          await run(page);
          // The subscription is live once the gateway has registered it: change the stock until an event shows.
          let quantity = 100;
          await eventually(
            async () => {
              await setStock(++quantity);
              await new Promise((r) => setTimeout(r, 300));
              return /"newQuantity":\s*\d+/.test(await resultText(page));
            },
            15_000,
            0,
          );
          await setStock(4242);
          await expect.poll(() => resultText(page), { timeout: 10_000 }).toMatch(/"newQuantity":\s*4242/);
          expect(await resultText(page)).toContain(`"productId": "${productId}"`);

          // The Headers editor's token went along in connection_init, as the hint says.
          expect(connectionInits).toContainEqual({ Authorization: `Bearer ${user.accessToken}` });
          expect(sockets.length).toBeGreaterThan(0);
          for (const url of sockets) expect(new URL(url).host).toBe(new URL(dev.base).host);
          expect(blocked).toEqual([]);
          expect(requests.filter((url) => !url.startsWith(`${dev.base}/`) && !url.startsWith('data:'))).toEqual([]);
          expect(problems).toEqual([]);
        },
        { viewport: { width: 1280, height: 900 } },
      );
    }, 60_000);
  });
});

describe('GraphiQL in production', () => {
  let prod: { gateway: GatewayService; base: string };
  beforeAll(async () => {
    prod = await started({ ...platformEnv(), NODE_ENV: 'production' });
  });
  afterAll(() => prod?.gateway.close());

  it('/graphiql and its assets are not found, and GET /graphql serves no landing page', async () => {
    for (const path of ['/graphiql', `/graphiql/assets/${SCRIPTS[0]}`]) {
      const res = await fetch(`${prod.base}${path}`, { headers: { accept: BROWSER_ACCEPT } });
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toMatchObject({ code: 'NOT_FOUND' });
    }
    const endpoint = await fetch(`${prod.base}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(endpoint.headers.get('content-type')).not.toMatch(/text\/html/);
    expect(await endpoint.text()).not.toMatch(/<html|graphiql|apollographql/i);
  });
});

/**
 * `/api/docs` (Swagger UI) renders in a real browser under its Content-Security-Policy: every
 * file it loads is the gateway's own, the CSP refuses nothing, and the operations of the
 * OpenAPI document are listed.
 */
import { describe, expect, it } from 'vitest';
import { hasChromium, withPage } from './support/browser.js';
import { gatewayBase } from './support/rest.js';

const title = hasChromium ? 'Swagger UI at /api/docs' : 'Swagger UI at /api/docs (SKIPPED: /usr/bin/chromium missing; .ci/run installs it)';

describe(title, () => {
  it.skipIf(!hasChromium)('renders the REST API offline with no CSP violation', async () => {
    const base = gatewayBase();
    await withPage(async (page) => {
      const problems: string[] = [];
      const blocked: string[] = [];
      // Offline: anything for another origin is recorded and refused.
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('data:') || new URL(url).origin === base) return route.continue();
        blocked.push(url);
        return route.abort();
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
      });
      const response = await page.goto(`${base}/api/docs`);
      expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
      // Swagger UI has read /api/openapi.json and drawn an operation block per route.
      await page.locator('.swagger-ui .info .title').waitFor({ timeout: 15_000 });
      await expect.poll(() => page.locator('.opblock').count(), { timeout: 15_000 }).toBeGreaterThan(20);
      await expect.poll(() => page.locator('.opblock-summary-path').allInnerTexts()).toContain('/api/workouts');
      // Opening an operation works too (its schemas and the "Try it out" button are drawn by script).
      await page.locator('.opblock-summary', { hasText: '/api/workouts/{id}' }).first().click();
      await page.locator('.try-out__btn').first().waitFor({ timeout: 5_000 });
      expect(problems).toEqual([]);
      expect(blocked).toEqual([]);
    });
  });
});

import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { routeTable } from '../gateway/src/facade/rest/route-table.js';
import { rest } from './support/rest.js';

const routes = routeTable({ cookies: { secure: false, refreshMaxAgeSeconds: 60 }, logoutRedirectUrl: '/' });
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('OpenAPI document of the REST facade', () => {
  it('is served at /api/openapi.json and is a valid OpenAPI 3.1 document', async () => {
    const res = await rest('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(res.body);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route of the table, with its parameters, body and success status', async () => {
    const { body: doc } = await rest('GET', '/api/openapi.json');
    for (const route of routes) {
      const operation = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(Object.keys(operation.responses)).toContain(String(route.status));
      for (const name of route.path.match(/:(\w+)/g)?.map((p) => p.slice(1)) ?? []) {
        expect(operation.parameters, `${route.path} documents path parameter ${name}`).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
      }
      if (route.body) expect(operation.requestBody, `${route.method} ${route.path} documents its body`).toBeDefined();
      if (route.auth === 'required') expect(operation.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
    }
    // ... and nothing that is not in the table, but the routes with no GraphQL operation behind them.
    const outsideTable = ['GET /api/health', 'GET /api/auth/line/login', 'GET /api/auth/line/callback', 'POST /line/webhook'];
    const documented = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.filter((r) => !outsideTable.includes(r))).toHaveLength(routes.length);
    for (const route of outsideTable) expect(documented).toContain(route);
    expect(doc.paths['/api/health'].get.security).toEqual([]);
  });

  it('every route in the table answers (none is documented but missing)', async () => {
    for (const route of routes) {
      const path = route.path.replace(/:(\w+)/g, '00000000-0000-4000-8000-000000000000');
      const res = await rest(route.method, path, route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} });
      // Unauthenticated or invalid, but routed: never the not-found handler's "No route".
      expect(res.body?.message ?? '', `${route.method} ${route.path}`).not.toMatch(/^No route/);
    }
  });

  it('the docs page is served with its assets, without any outside host', async () => {
    const page = await rest('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('/api/openapi.json');
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const asset of page.text.match(/\/api\/docs\/assets\/[\w.-]+/g) ?? []) {
      const res = await fetch(`${(await import('./support/rest.js')).gatewayBase()}${asset}`);
      expect(res.status, asset).toBe(200);
    }
  });
});

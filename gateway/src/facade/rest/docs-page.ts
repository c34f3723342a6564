import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

const INIT = 'docs-init.js';
// The document's URL is on the page (data-openapi), so the page says what it shows.
const init = `window.ui = SwaggerUIBundle({ url: document.getElementById('docs').dataset.openapi, dom_id: '#docs', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
`;

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>REST API — federated platform</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="docs" data-openapi="/api/openapi.json"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/assets/${INIT}"></script>
</body>
</html>`;

/**
 * Swagger UI's own files and nothing else. Scripts come only from files (the page starts Swagger
 * UI from docs-init.js, not from an inline script); styles may be inline, since Swagger UI's React
 * components set style attributes; its icons are data: images; "Try it out" calls this origin.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** `/api/docs`: Swagger UI over `/api/openapi.json`, served from the package (works offline). */
export function registerDocsPage(app: FastifyInstance) {
  app.get('/api/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(page));
  app.get(`/api/docs/assets/${INIT}`, async (_req, reply) =>
    reply.type('application/javascript; charset=utf-8').header('cache-control', 'no-cache').send(init),
  );
  app.get<{ Params: { file: string } }>('/api/docs/assets/:file', async (request, reply) => {
    const type = ASSETS[request.params.file];
    if (!type) return reply.callNotFound();
    return reply
      .type(type)
      .header('cache-control', 'public, max-age=86400')
      .send(await readFile(join(swaggerUiDir, request.params.file)));
  });
}

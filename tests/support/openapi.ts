/**
 * Checks a REST response against what `/api/openapi.json` documents for it (the document clients
 * generate code from), with a JSON Schema 2020-12 validator.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { type RestResponse, rest } from './rest.js';

type OpenApi = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
};

let document: Promise<OpenApi> | undefined;
const validators = new Map<string, ValidateFunction>();
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

export const openApiDocument = () => (document ??= rest('GET', '/api/openapi.json').then((r) => r.body as OpenApi));

/** The response's status is documented for the route, and its body (JSON, or text) fits the documented schema. */
export async function expectDocumented(res: RestResponse, method: string, path: string) {
  const doc = await openApiDocument();
  const operation = doc.paths[path]?.[method.toLowerCase()];
  expect(operation, `${method} ${path} is not in /api/openapi.json`).toBeDefined();
  // Every route documents 500 (and 503), so "documented" alone would accept a crash: an internal
  // error is never what a test means to check against the document.
  expect(res.status, `${method} ${path} answered ${res.status} (an internal error): ${res.text.slice(0, 300)}`).not.toBe(500);
  const documented = operation!.responses[String(res.status)];
  expect(documented, `${method} ${path} answered ${res.status}, which is not documented: ${res.text.slice(0, 300)}`).toBeDefined();
  const [mediaType, content] = Object.entries(documented!.content ?? {})[0] ?? [];
  if (!content) return;
  expect(res.headers.get('content-type') ?? '').toContain(mediaType);
  const key = `${method} ${path} ${res.status}`;
  let validate = validators.get(key);
  if (!validate) {
    // The document's components travel along, so `#/components/...` references resolve.
    validate = ajv.compile({ ...content.schema, components: doc.components });
    validators.set(key, validate);
  }
  const body = mediaType === 'application/json' ? res.body : res.text;
  expect(
    validate(body),
    `${key} body does not fit its OpenAPI schema: ${JSON.stringify(validate.errors)} body=${res.text.slice(0, 300)}`,
  ).toBe(true);
}

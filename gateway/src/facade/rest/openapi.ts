import { z } from 'zod';
import type { RestRoute } from './route.js';
import { errorBody } from './schemas.js';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (2020-12, what OpenAPI 3.1 uses) of what a client sends or receives. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 302: 'Found (redirect)' };

/** The OpenAPI 3.1 document of the REST facade, generated from the route table. */
export function buildOpenApiDocument(routes: RestRoute[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const usedIds = new Set<string>();
  const errorRef = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });

  for (const route of routes) {
    let operationId = route.operation.name;
    if (usedIds.has(operationId)) operationId = `${operationId}_${route.method.toLowerCase()}`;
    usedIds.add(operationId);

    const mediaType = route.produces ?? 'application/json';
    const success = (description: string, schema?: z.ZodType) => ({
      description,
      ...(schema ? { content: { [mediaType]: { schema: jsonSchema(schema, 'output') } } } : {}),
    });
    const responses: Record<string, unknown> = {
      [route.status]: success(STATUS_TEXT[route.status], route.status !== 204 && route.status !== 302 ? route.response : undefined),
      ...Object.fromEntries(Object.entries(route.otherResponses ?? {}).map(([status, r]) => [status, success(r.description, r.schema)])),
      400: errorRef('Invalid input: `details.validationErrors` lists each bad field'),
      429: errorRef('Rate limited: see Retry-After and X-RateLimit-* headers'),
      500: errorRef('Internal error (details are logged under requestId)'),
      503: errorRef('A dependency is unavailable'),
    };
    if (route.auth === 'required') {
      responses[401] = errorRef('Missing, invalid, expired or revoked credentials');
      responses[403] = errorRef('Not allowed');
      responses[404] = errorRef('Not found (or not yours)');
    }
    if (route.method !== 'GET') responses[409] = errorRef('Conflict (duplicate)');

    const body = route.body;
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = {
      operationId,
      summary: route.summary,
      tags: [route.tag],
      description: `Runs the GraphQL operation \`${route.operation.name}\` through the gateway.`,
      ...(route.auth === 'required' ? { security: [{ bearerAuth: [] }, { cookieAuth: [] }] } : { security: [] }),
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(body
        ? {
            requestBody: {
              required: !body.safeParse(undefined).success,
              content: { 'application/json': { schema: jsonSchema(body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Federated platform REST/BFF facade',
      version: info.version,
      description:
        'Each route runs a named GraphQL operation against the gateway. Send a Bearer token or the `access_token` cookie set by `/api/auth/login`.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'access_token' },
      },
      schemas: { Error: jsonSchema(errorBody, 'output') },
    },
  };
}

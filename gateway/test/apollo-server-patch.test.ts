/**
 * patches/@apollo+server+5.5.1.patch (apollo-server-patch.ts): applied by the install, and the
 * request context Apollo Server hands the gateway's executor still reads and writes the
 * response's status and headers through to Apollo's own response, with the status accessors on a
 * class instead of on each request's object.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HeaderMap } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { apolloServerDist, apolloServerPatched, PATCHED_FILE } from '../src/apollo-server-patch.js';

interface GatewayHttp {
  status?: number;
  headers: { get(name: string): string | null; set(name: string, value: string): void };
}
type MakeContext = (
  newRequestContext: object,
  server: object,
  internals: object,
) => { response: { http: GatewayHttp }; request: { http?: { headers: { get(name: string): string | null } } } };

async function makeGatewayGraphQLRequestContext(build: 'esm' | 'cjs'): Promise<MakeContext> {
  const module = await import(pathToFileURL(join(apolloServerDist(), build, PATCHED_FILE)).href);
  return (module.makeGatewayGraphQLRequestContext ?? module.default.makeGatewayGraphQLRequestContext) as MakeContext;
}

describe('@apollo/server patch', () => {
  it('is applied to both builds by npm install', () => {
    expect(apolloServerPatched()).toBe(true);
  });

  it.each(['esm', 'cjs'] as const)('%s: the gateway context reads and writes the response status and headers through', async (build) => {
    const make = await makeGatewayGraphQLRequestContext(build);
    const responseHeaders = new HeaderMap();
    const newRequestContext = {
      request: { query: '{ a }', http: { method: 'POST', search: '', headers: new HeaderMap([['x-asked', 'yes']]), body: {} } },
      response: { http: { status: undefined as number | undefined, headers: responseHeaders } },
      contextValue: {},
    };
    const context = make(newRequestContext, { logger: console, cache: undefined }, { includeStacktraceInErrorResponses: false });

    expect(context.request.http?.headers.get('x-asked')).toBe('yes');
    expect(context.response.http.status).toBeUndefined();
    context.response.http.status = 503;
    expect(newRequestContext.response.http.status).toBe(503);
    newRequestContext.response.http.status = 200;
    expect(context.response.http.status).toBe(200);
    context.response.http.headers.set('retry-after', '3');
    expect(responseHeaders.get('retry-after')).toBe('3');
    // The accessors are the class's, shared, not a pair made for this request's object.
    expect(Object.getOwnPropertyDescriptor(context.response.http, 'status')).toBeUndefined();
  });
});

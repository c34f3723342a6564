/**
 * Whether `patches/@apollo+server+5.5.1.patch` is in effect (`npm install` applies it with
 * patch-package, its postinstall). Apollo Server hands the gateway's executor a request context
 * whose `response.http` was an object literal with its own `status` getter and setter, made per
 * request. V8 does not free such an object in a young-generation collection: it, and the whole
 * request its closures hold, survived every scavenge until the next full collection (5% of the
 * gateway's allocation copied by each scavenge, 2.5 MB at a time; 8-35 ms pauses under load;
 * bench/young-survival.ts shows it alone). The patch moves the accessors to a class; nothing
 * else changes.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { patchApplied } from '@app/platform/core';

/** The file the patch changes, in each of the package's builds (dist/esm is the one the gateway loads). */
export const PATCHED_FILE = 'utils/makeGatewayGraphQLRequestContext.js';
const PATCHED_MARK = 'class GatewayResponseHttp';

/** The directory of @apollo/server's builds (`dist`), as `resolveFrom` (a URL) resolves the package. */
export function apolloServerDist(resolveFrom: string = import.meta.url): string {
  // The package's `require` entry is dist/cjs/index.js.
  return dirname(dirname(createRequire(resolveFrom).resolve('@apollo/server')));
}

/** True when both builds of @apollo/server hold the patched request context. */
export function apolloServerPatched(resolveFrom: string = import.meta.url): boolean {
  // From the package's entry's directory (dist/cjs) to each build's file.
  const builds = ['esm', 'cjs'].map((build) => join('..', build, PATCHED_FILE));
  return patchApplied('@apollo/server', builds, PATCHED_MARK, resolveFrom);
}

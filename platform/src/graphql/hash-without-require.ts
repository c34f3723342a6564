/**
 * `@apollo/utils.createhash` looks Node's `crypto` up with `module.require("crypto")` on every
 * call, and Apollo hashes every request with it (Apollo Server: the query's hash for its document
 * store; Apollo Gateway: the query plan's key). Under tsx (how the services run) every require
 * goes through the loader's resolve hooks: about 2.5 µs a call against 0.5 µs for the hash
 * itself, 2-3% of a busy gateway's or subgraph's CPU.
 *
 * The function reads `module.require` from its own module object at call time, so giving that
 * object a `require` that answers `crypto` from a reference taken once changes every caller,
 * whichever way (ESM or CommonJS) they imported the function. Any other name goes to Node's own
 * `require` as before.
 */
import crypto from 'node:crypto';
import { createRequire, Module } from 'node:module';

const PACKAGE = '@apollo/utils.createhash';
const patched = Symbol.for('platform.hashWithoutRequire');

type ModuleObject = InstanceType<typeof Module> & { [patched]?: true };

/**
 * Patches the copy of `@apollo/utils.createhash` that each of `users` (package names, resolved
 * from the file `resolveFrom`, a URL) loads; the number of users whose copy is patched (already
 * patched ones included). A user that cannot be resolved, or a copy whose module is not where
 * Node keeps it, is left alone.
 */
export function hashWithoutRequire(users: readonly string[] = ['@apollo/server'], resolveFrom: string = import.meta.url): number {
  const here = createRequire(resolveFrom);
  let count = 0;
  for (const user of users) {
    let path: string;
    let copyRequire: NodeJS.Require;
    try {
      copyRequire = createRequire(here.resolve(user));
      path = copyRequire.resolve(PACKAGE);
      copyRequire(PACKAGE);
    } catch {
      continue;
    }
    const module = copyRequire.cache[path] as ModuleObject | undefined;
    if (!module) continue;
    if (!module[patched]) {
      const original = Module.prototype.require;
      module.require = function requireCrypto(this: ModuleObject, id: string) {
        return id === 'crypto' || id === 'node:crypto' ? crypto : original.call(this, id);
      };
      module[patched] = true;
    }
    count++;
  }
  return count;
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Whether a patch of `patches/` (applied by `npm install` through patch-package, its postinstall)
 * is in effect: each of `files` (paths from the directory of `pkg`'s entry, as `resolveFrom`, a
 * URL, resolves it) holds `mark`, a line only the patched file has. False when any is missing.
 */
export function patchApplied(pkg: string, files: readonly string[], mark: string, resolveFrom: string): boolean {
  try {
    const dir = dirname(createRequire(resolveFrom).resolve(pkg));
    return files.every((file) => readFileSync(join(dir, file), 'utf8').includes(mark));
  } catch {
    return false;
  }
}

/**
 * patches/@electric-sql+pglite-socket+0.2.17.patch (pglite-socket-patch.ts) is applied by the
 * install, and the check looks for what the patch adds to both files it changes. What it does is
 * shown through the embedded platform (tests/embedded.test.ts: two users' orders read back at once).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PATCHED_FILES, PATCHED_MARK, pgliteSocketPatched } from '../src/database/pglite-socket-patch.js';

describe('@electric-sql/pglite-socket patch', () => {
  it('is applied by npm install, and the check looks for what the patch adds to each file it changes', () => {
    expect(pgliteSocketPatched()).toBe(true);
    const patch = readFileSync(fileURLToPath(new URL('../../patches/@electric-sql+pglite-socket+0.2.17.patch', import.meta.url)), 'utf8');
    for (const file of PATCHED_FILES) expect(patch).toContain(`+++ b/node_modules/@electric-sql/pglite-socket/dist/${file}`);
    expect(patch.split('\n').filter((line) => line.startsWith('+') && line.includes(PATCHED_MARK))).toHaveLength(PATCHED_FILES.length);
  });

  it('is not reported applied for a package it cannot find', () => {
    expect(pgliteSocketPatched('file:///nonexistent/dir/x.js')).toBe(false);
  });
});

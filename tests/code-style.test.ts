/**
 * One formatter and one linter for the whole repository (Biome, `biome.json`): `npm run lint`
 * passes on the tree as committed, and fails on a file that breaks a rule or the format.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = new URL('..', import.meta.url).pathname;
const biome = join(repoRoot, 'node_modules/.bin/biome');
const run = (args: string[], cwd = repoRoot) => spawnSync(biome, args, { cwd, encoding: 'utf8' });

describe('biome', () => {
  const dir = mkdtempSync(join(tmpdir(), 'style-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** Biome with the repository's configuration over one file of the temp folder. */
  const check = (name: string, source: string) => {
    writeFileSync(join(dir, name), source);
    return run(['ci', '--vcs-enabled=false', `--config-path=${join(repoRoot, 'biome.json')}`, join(dir, name)], dir);
  };

  it('passes on the whole tree (format, lint, import order)', () => {
    const result = run(['ci', '.']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('a file in the house format with no finding passes', () => {
    const result = check(
      'clean.ts',
      "import { join } from 'node:path';\n\nexport const where = (name: string): string => join('/tmp', name);\n",
    );
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('fails on a lint finding, naming the rule', () => {
    const result = check('unused.ts', "import { join } from 'node:path';\n\nexport const answer = 42;\n");
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('lint/correctness/noUnusedImports');
  });

  it('fails on a file out of format', () => {
    const result = check('format.ts', 'export const answer  =  "42"\n');
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/format/i);
  });
});

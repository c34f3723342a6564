/**
 * The repository's own structure checks bite: `npm run check:layers` (dependency-cruiser,
 * `.dependency-cruiser.cjs`: DESIGN.md's layer rules and no circular imports) and
 * `npm run check:deps` (knip, `knip.json`: every workspace declares what it imports and imports
 * what it declares) pass on the tree as committed, and fail, naming the rule, on a small
 * workspace tree in a temp folder that breaks each rule once. The fixture runs the root
 * package.json's own scripts with the repository's configuration files, so what is tested is
 * what CI runs.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
const rootManifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** What the two scripts run, and MikroORM (for a handler that imports it). */
const LINKED = ['dependency-cruiser', 'knip', '@mikro-orm', '@line'];
const TOOLS = ['dependency-cruiser', 'knip'];

interface Run {
  status: number | null;
  output: string;
}

/** `npm run <script>` in `cwd`, with the repository's tools and Node 24 first on PATH. */
function npmRun(script: string, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script], {
      cwd,
      env: { ...process.env, PATH: `${join(repoRoot, 'node_modules', '.bin')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** A workspace tree like the repository's (same scripts and configuration), with `files` in it. */
function fixture(files: Record<string, string>, devDependencies: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'repo-checks-'));
  const manifest = {
    name: 'fixture',
    private: true,
    type: 'module',
    workspaces: ['platform', 'events', 'gateway', 'subgraphs/*'],
    scripts: { 'check:layers': rootManifest.scripts['check:layers'], 'check:deps': rootManifest.scripts['check:deps'] },
    devDependencies: { ...devDependencies, ...Object.fromEntries(TOOLS.map((tool) => [tool, rootManifest.devDependencies[tool]])) },
  };
  const workspace = (name: string, dependencies: Record<string, string> = {}) =>
    JSON.stringify({ name, version: '0.1.0', private: true, type: 'module', exports: { '.': './src/index.ts' }, dependencies });
  const all: Record<string, string> = {
    'package.json': JSON.stringify(manifest),
    'platform/package.json': workspace('@app/platform'),
    'platform/src/index.ts': 'export const platform = 1;\n',
    'events/package.json': workspace('@app/events'),
    'events/src/index.ts': 'export const events = 1;\n',
    'gateway/package.json': workspace('@app/gateway'),
    'gateway/src/index.ts': 'export const gateway = 1;\n',
    'subgraphs/b/package.json': workspace('@app/b'),
    'subgraphs/b/src/index.ts': 'export const b = 1;\n',
    'scripts/noop.ts': 'export {};\n',
    'bench/noop.ts': 'export {};\n',
    'tests/noop.ts': 'export {};\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  for (const config of ['.dependency-cruiser.cjs', 'knip.json', 'tsconfig.json']) cpSync(join(repoRoot, config), join(dir, config));
  // What `npm install` would link: `@app/<workspace>` resolves to the workspace's folder, and
  // the tools the scripts run are installed (knip checks that their binaries are declared).
  mkdirSync(join(dir, 'node_modules', '@app'), { recursive: true });
  for (const name of LINKED) symlinkSync(join(repoRoot, 'node_modules', name), join(dir, 'node_modules', name));
  for (const [name, folder] of [
    ['platform', 'platform'],
    ['events', 'events'],
    ['gateway', 'gateway'],
    ['a', 'subgraphs/a'],
    ['b', 'subgraphs/b'],
  ]) {
    symlinkSync(join(dir, folder), join(dir, 'node_modules', '@app', name));
  }
  return dir;
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const tree = (files: Record<string, string>, devDependencies?: Record<string, string>) => {
  const dir = fixture(files, devDependencies);
  made.push(dir);
  return dir;
};

/**
 * Each run costs a few seconds of CPU (dependency-cruiser about 5 s over the whole tree, knip
 * 2-3 s a pass); the limit is for wall time on a busy 2-core machine running the suite.
 */
const CHECK_TIMEOUT = 120_000;

const subgraphA = (dependencies: Record<string, string> = {}) =>
  JSON.stringify({ name: '@app/a', version: '0.1.0', private: true, type: 'module', exports: { '.': './src/index.ts' }, dependencies });

/** Breaks every layer rule once, next to what the rules allow. */
const layersTree = () =>
  tree({
    'subgraphs/a/package.json': subgraphA(),
    'subgraphs/a/src/entities/thing.ts': 'export class Thing { id = 1; }\n',
    'subgraphs/a/src/usecases/get-thing.ts': "import { Thing } from '../entities/thing.js';\nexport const getThing = () => new Thing();\n",
    // Allowed: a resolver calling a use case and naming the entity type it renders; a test reaching anywhere.
    'subgraphs/a/src/resolvers/fine.ts':
      "import type { Thing } from '../entities/thing.js';\nimport { getThing } from '../usecases/get-thing.js';\nexport const fine = (): Thing => getThing();\n",
    'subgraphs/a/test/reaches-in.test.ts': "import { Thing } from '../src/entities/thing.js';\nexport const t = new Thing();\n",
    // Broken, one per rule.
    'subgraphs/a/src/resolvers/queries.ts': "import { Thing } from '../entities/thing.js';\nexport const q = () => new Thing();\n",
    'subgraphs/a/src/handlers/on-thing.ts': "import { MikroORM } from '@mikro-orm/core';\nexport const h = MikroORM;\n",
    'subgraphs/a/src/usecases/uses-resolver.ts': "import { q } from '../resolvers/queries.js';\nexport const u = q;\n",
    'subgraphs/a/src/repositories/thing-repository.ts':
      "import { getThing } from '../usecases/get-thing.js';\nexport const r = getThing;\n",
    'subgraphs/a/src/peek.ts': "import { b } from '@app/b';\nexport const peek = b;\n",
    'subgraphs/a/src/ping.ts': "import { pong } from './pong.js';\nexport const ping = () => pong;\n",
    'subgraphs/a/src/pong.ts': "import { ping } from './ping.js';\nexport const pong = () => ping;\n",
    'platform/src/uses-service.ts': "import { b } from '../../subgraphs/b/src/index.js';\nexport const x = b;\n",
    'events/src/uses-platform.ts': "import { platform } from '@app/platform';\nexport const y = platform;\n",
    'gateway/src/uses-subgraph.ts': "import { b } from '@app/b';\nexport const z = b;\n",
    // The gateway reaching the database through a file of its own (the rule follows the chain); the cache is allowed.
    'platform/src/database/pool.ts': 'export const pool = 1;\n',
    'platform/src/cache/cache.ts': 'export const cache = 1;\n',
    'gateway/src/store.ts': "import { pool } from '../../platform/src/database/pool.js';\nexport const store = pool;\n",
    'gateway/src/uses-store.ts': "import { store } from './store.js';\nexport const s = store;\n",
    'gateway/src/uses-cache.ts': "import { cache } from '../../platform/src/cache/cache.js';\nexport const c = cache;\n",
    // The LINE SDK: its own users and a dynamic import of them are allowed, a type import too; anything else is flagged.
    'gateway/src/facade/line/webhook/webhook-route.ts':
      "import { validateSignature } from '@line/bot-sdk';\nexport const route = validateSignature;\n",
    'gateway/src/facade/line/webhook/register-line-webhook.ts': "export const load = () => import('./webhook-route.js');\n",
    'gateway/src/names-line-types.ts': "import type { messagingApi } from '@line/bot-sdk';\nexport type M = messagingApi.Message;\n",
    'gateway/src/uses-line-sdk.ts': "import { validateSignature } from '@line/bot-sdk';\nexport const v = validateSignature;\n",
    'gateway/src/uses-webhook-route.ts': "import { route } from './facade/line/webhook/webhook-route.js';\nexport const w = route;\n",
  });

/** An import nobody declares (left-pad), and a declaration nothing imports (zod). */
const undeclaredTree = () =>
  tree({
    'subgraphs/a/package.json': subgraphA({ zod: '4.0.0' }),
    'subgraphs/a/src/index.ts': "import leftPad from 'left-pad';\nexport const a = leftPad;\n",
  });

/** Service code importing what only the root declares, as a devDependency (absent from its production install). */
const rootOnlyTree = () =>
  tree(
    { 'subgraphs/a/package.json': subgraphA(), 'subgraphs/a/src/index.ts': "import { z } from 'zod';\nexport const a = z;\n" },
    { zod: '4.0.0' },
  );

// All at once: most of each run is start-up and file system, and the machine has two cores.
const runs = {
  repoLayers: npmRun('check:layers', repoRoot),
  repoDeps: npmRun('check:deps', repoRoot),
  layers: npmRun('check:layers', layersTree()),
  undeclared: npmRun('check:deps', undeclaredTree()),
  rootOnly: npmRun('check:deps', rootOnlyTree()),
};

describe('the repository as it is', { timeout: CHECK_TIMEOUT }, () => {
  it('passes check:layers (layer rules, no circular imports)', async () => {
    const { status, output } = await runs.repoLayers;
    expect(status, output).toBe(0);
  });

  it('passes check:deps (every import declared, every declaration used)', async () => {
    const { status, output } = await runs.repoDeps;
    expect(status, output).toBe(0);
  });
});

describe('check:layers on a tree that breaks every rule once', { timeout: CHECK_TIMEOUT }, () => {
  it.each([
    ['adapter-not-to-persistence', 'subgraphs/a/src/resolvers/queries.ts'],
    ['adapter-not-to-persistence', 'subgraphs/a/src/handlers/on-thing.ts'],
    ['usecase-not-to-adapter', 'subgraphs/a/src/usecases/uses-resolver.ts'],
    ['repository-not-upward', 'subgraphs/a/src/repositories/thing-repository.ts'],
    ['no-cross-subgraph', 'subgraphs/a/src/peek.ts'],
    ['no-circular', 'subgraphs/a/src/ping.ts'],
    ['shared-not-to-service', 'platform/src/uses-service.ts'],
    ['events-not-to-platform', 'events/src/uses-platform.ts'],
    ['gateway-not-to-subgraph', 'gateway/src/uses-subgraph.ts'],
    ['gateway-without-database', 'gateway/src/store.ts'],
    ['gateway-without-database', 'gateway/src/uses-store.ts'],
    ['gateway-line-sdk-when-configured', 'gateway/src/uses-line-sdk.ts'],
    ['gateway-line-sdk-when-configured', 'gateway/src/uses-webhook-route.ts'],
  ])('fails naming %s for %s', async (rule, file) => {
    const { status, output } = await runs.layers;
    expect(status).not.toBe(0);
    expect(output).toContain(`error ${rule}: ${file}`);
  });

  it('does not flag what the rules allow', async () => {
    const { output } = await runs.layers;
    expect(output).not.toContain('resolvers/fine.ts');
    expect(output).not.toContain('reaches-in.test.ts');
    expect(output).not.toContain('uses-cache.ts');
    expect(output).not.toContain('names-line-types.ts');
    for (const file of ['webhook-route.ts', 'register-line-webhook.ts'])
      expect(output).not.toContain(`: gateway/src/facade/line/webhook/${file}`);
  });
});

describe('check:deps', { timeout: CHECK_TIMEOUT }, () => {
  it('fails on an import no package.json declares, and on a declared dependency nothing imports', async () => {
    const { status, output } = await runs.undeclared;
    expect(status).not.toBe(0);
    expect(output).toMatch(/Unlisted dependencies[\s\S]*left-pad\s+subgraphs\/a\/src\/index\.ts/);
    expect(output).toMatch(/Unused dependencies[\s\S]*zod\s+subgraphs\/a\/package\.json/);
  });

  it("fails on service code that gets a dependency only from the root's devDependencies", async () => {
    const { status, output } = await runs.rootOnly;
    expect(status).not.toBe(0);
    expect(output).toMatch(/Unlisted dependencies[\s\S]*zod\s+subgraphs\/a\/src\/index\.ts/);
  });
});

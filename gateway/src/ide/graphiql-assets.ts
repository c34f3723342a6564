import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BOOT_SCRIPT, PAGE_STYLE } from './graphiql-page.js';

const require = createRequire(import.meta.url);
const JS = 'application/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

export interface Asset {
  type: string;
  load: () => Promise<Buffer>;
}
type Entry = readonly [publicName: string, asset: Asset];

/**
 * A file of an installed package, resolved the way Node loads it from here (the gateway's own
 * React 18, not the React 19 other workspaces hoist). Its public name carries the package
 * version, so a year of caching never serves a stale file after an upgrade.
 */
function fromPackage(pkg: string, file: string, stem: string, ext: string): Entry {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { version } = require(manifest) as { version: string };
  let loaded: Promise<Buffer> | undefined;
  return [
    `${stem}-${version}.${ext}`,
    { type: ext.endsWith('css') ? CSS : JS, load: () => (loaded ??= readFile(join(dirname(manifest), file))) },
  ];
}

/** Our own small files, named by their content hash for the same reason. */
function fromText(stem: string, ext: string, text: string): Entry {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const body = Buffer.from(text);
  return [`${stem}-${hash}.${ext}`, { type: ext.endsWith('css') ? CSS : JS, load: async () => body }];
}

/**
 * Everything the IDE page loads, in load order. GraphiQL 4 is the newest line with a
 * browser-ready (UMD) build: it bundles graphql and graphql-ws, and needs React 18's UMD
 * builds as globals (React 19 ships none).
 */
const entries: Entry[] = [
  fromText('graphiql-page', 'css', PAGE_STYLE),
  fromPackage('graphiql', 'graphiql.min.css', 'graphiql', 'min.css'),
  fromPackage('react', 'umd/react.production.min.js', 'react', 'production.min.js'),
  fromPackage('react-dom', 'umd/react-dom.production.min.js', 'react-dom', 'production.min.js'),
  fromPackage('graphiql', 'graphiql.min.js', 'graphiql', 'min.js'),
  fromText('graphiql-boot', 'js', BOOT_SCRIPT),
];

/** The whitelist: a request names one of these, never a path joined onto a directory. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map(entries);
export const STYLESHEETS = entries.filter(([, a]) => a.type === CSS).map(([name]) => name);
export const SCRIPTS = entries.filter(([, a]) => a.type === JS).map(([name]) => name);

import { resolve } from 'node:path';

// The gateway loads this at run time: paths and reading the SDL only. Composing (a build step) is in compose-supergraph.ts.
export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const supergraphConfigPath = resolve(repoRoot, 'supergraph.yaml');
export const supergraphPath = resolve(repoRoot, 'supergraph.graphql');

/** Subgraph names and routing URLs as written in the supergraph (`@join__graph`). */
export function subgraphsOf(supergraphSdl: string): { name: string; url: string }[] {
  return [...supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]*)"\)/g)].map(([, name, url]) => ({ name, url }));
}

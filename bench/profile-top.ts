/**
 * The top entries of a V8 CPU profile (`node --cpu-prof`, or BENCH_CPU_PROF): self time by
 * function and by package, as percentages of the samples that were not idle.
 * Usage: `npm exec -- tsx bench/profile-top.ts <file.cpuprofile> [entries, default 25]`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** `node_modules/<pkg>` (scoped too) for library frames, `node:` for Node's own, else the repository folder. */
function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.replace(/.*node_modules\/\.pnpm\//, ''));
  if (match) return match[1];
  if (url.startsWith('node:') || url === '') return url ? 'node (internal)' : '(native / GC)';
  const local = /\/work\/[^/]+\/([^/]+(?:\/[^/]+)?)/.exec(url);
  return local ? local[1] : url;
}

const IDLE = new Set(['(idle)', '(program)']);

export function profileTop(path: string, entries = 25) {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busy = 0;
  for (const [id, count] of hits) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (IDLE.has(functionName)) continue;
    busy += count;
    const name = `${functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/work\/[^/]+\//, '')}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + count);
    const pkg = functionName === '(garbage collector)' ? '(garbage collector)' : packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count);
  }
  const top = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, entries)
      .map(([name, count]) => ({ 'self %': Math.round((count / busy) * 1000) / 10, name }));
  return { busySamples: busy, functions: top(byFunction), packages: top(byPackage) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, entries] = process.argv.slice(2);
  const { busySamples, functions, packages } = profileTop(path, Number(entries ?? 25));
  console.log(`# ${path}: ${busySamples} busy samples`);
  console.table(packages);
  console.table(functions);
}

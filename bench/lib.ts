import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

export interface LoadResult {
  name: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Fixed-concurrency HTTP load for `seconds`, after a short warm-up; latency in ms. */
export async function load(name: string, opts: { url: string; body: string; headers?: Record<string, string>; seconds?: number; connections?: number }): Promise<LoadResult> {
  const base = { url: opts.url, method: 'POST' as const, body: opts.body, headers: { 'content-type': 'application/json', ...opts.headers }, connections: opts.connections ?? 16 };
  await autocannon({ ...base, duration: 1 }); // warm-up: JIT, query-plan cache, connection pools
  const r = await autocannon({ ...base, duration: opts.seconds ?? 5 });
  return { name, requestsPerSec: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

export function printTable(title: string, rows: Record<string, string | number>[]) {
  console.log(`\n## ${title}`);
  console.table(rows);
}

export interface PlatformProcess {
  gatewayUrl: string;
  urls: Record<string, string>;
  embedded: Record<string, boolean>;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Runs a bench script in its own process; resolves with the JSON line it prints when ready. */
export async function startChild<T>(script: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<T & { child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF && script.includes('platform') ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []), '--import', 'tsx', new URL(script, import.meta.url).pathname, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    ...(JSON.parse(line) as T),
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Starts bench/platform-process.ts and waits for its URLs. */
export const startPlatformProcess = (env: Record<string, string | undefined> = {}): Promise<PlatformProcess> =>
  startChild<Omit<PlatformProcess, 'child' | 'stop'>>('./platform-process.ts', [], env);

export async function graphql(url: string, query: string, variables?: unknown, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

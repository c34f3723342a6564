import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

export interface Measurement {
  /** Mean requests per second over the run. */
  rps: number;
  p50: number;
  p99: number;
  /** Failed requests plus non-2xx answers. */
  errors: number;
}

/** Fixed-concurrency HTTP load (autocannon options), after a 1 s warm-up: JIT, query-plan cache, connection pools. Latency in ms. */
export async function measure(opts: autocannon.Options): Promise<Measurement> {
  await autocannon({ ...opts, duration: 1 });
  const r = await autocannon(opts);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

/**
 * Each scenario measured `rounds` times, alternating, so drift on the machine (JIT, GC, other
 * load) hits all alike. Per scenario: mean req/s (rounded), worst p50 and p99, all errors.
 */
export async function alternate(scenarios: autocannon.Options[], rounds: number): Promise<Measurement[]> {
  const runs = scenarios.map(() => [] as Measurement[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, scenario] of scenarios.entries()) runs[i].push(await measure(scenario));
  }
  return runs.map((list) => ({
    rps: Math.round(list.reduce((sum, r) => sum + r.rps, 0) / list.length),
    p50: Math.max(...list.map((r) => r.p50)),
    p99: Math.max(...list.map((r) => r.p99)),
    errors: list.reduce((sum, r) => sum + r.errors, 0),
  }));
}

/** A GraphQL POST of `body` under fixed-concurrency load for `seconds`. */
export async function load(opts: {
  url: string;
  body: string;
  headers?: Record<string, string>;
  seconds?: number;
  connections?: number;
}): Promise<Measurement> {
  const r = await measure({
    url: opts.url,
    method: 'POST',
    body: opts.body,
    headers: { 'content-type': 'application/json', ...opts.headers },
    connections: opts.connections ?? 16,
    duration: opts.seconds ?? 5,
  });
  return { ...r, rps: Math.round(r.rps) };
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
export async function startChild<T>(
  script: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<T & { child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF && script.includes('platform') ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
      '--import',
      'tsx',
      new URL(script, import.meta.url).pathname,
      ...args,
    ],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
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

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';
import vm from 'node:vm';
import autocannon from 'autocannon';

export interface Measurement {
  /** Mean requests per second over the run. */
  rps: number;
  p50: number;
  p99: number;
  /** Failed requests, non-2xx answers and answers `verifyBody` refused. */
  errors: number;
  /** Requests answered and seconds timed (warm-up excluded), for CPU per request. */
  requests: number;
  seconds: number;
  /** CPU-seconds (user + system) each probed process used while timed, by label. */
  cpu: Record<string, number>;
}

/** Processes whose CPU a measurement reads, summed: with `descendants` (the default) their whole process trees. */
export interface CpuProbe {
  label: string;
  pid: number | number[];
  descendants?: boolean;
}

/** A load scenario: autocannon options, and the processes whose CPU to read around it. */
export type Scenario = autocannon.Options & { probes?: CpuProbe[] };

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** pid -> [parent pid, CPU-seconds, command name] of every process /proc shows (empty off Linux). */
function processTable(): Map<number, [number, number, string]> {
  const table = new Map<number, [number, number, string]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return table;
  }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which may itself hold spaces and parentheses.
      const end = stat.lastIndexOf(')');
      const fields = stat.slice(end + 2).split(' ');
      const command = stat.slice(stat.indexOf('(') + 1, end);
      table.set(Number(name), [Number(fields[1]), (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, command]);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return table;
}

/**
 * CPU-seconds each probe's processes (and, unless `descendants: false`, all their live
 * descendants) have used so far, per process, from /proc: null off Linux. A scan of the whole
 * table, because the kernel here may not offer /proc/<pid>/task/<tid>/children.
 */
function cpuSnapshot(probes: CpuProbe[]): Record<string, Map<number, number> | null> {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, [parent]] of table) children.set(parent, [...(children.get(parent) ?? []), pid]);
  const collect = (pid: number, into: Set<number>, descendants: boolean) => {
    if (!table.has(pid) || into.has(pid)) return;
    into.add(pid);
    if (descendants) for (const child of children.get(pid) ?? []) collect(child, into, true);
  };
  return Object.fromEntries(
    probes.map((p) => {
      const roots = Array.isArray(p.pid) ? p.pid : [p.pid];
      const pids = new Set<number>();
      for (const root of roots) collect(root, pids, p.descendants !== false);
      return [p.label, pids.size === 0 ? null : new Map([...pids].map((pid) => [pid, table.get(pid)![1]]))];
    }),
  );
}

/**
 * CPU-seconds used between two snapshots: each process alive at the end, from its figure at the
 * start (or 0: it started in between). A process that ended in between is left out (what it used
 * before it ended is lost) rather than subtracted: Postgres closes idle backends, and a sum over
 * the processes alive at each end went negative.
 */
function cpuUsed(before: Map<number, number> | null, after: Map<number, number> | null): number {
  if (!before || !after) return Number.NaN;
  let seconds = 0;
  for (const [pid, used] of after) seconds += used - (before.get(pid) ?? 0);
  return seconds;
}

/**
 * The machine's CPU-seconds so far, summed over its cores (/proc/stat; NaN off Linux): busy (user,
 * system, interrupts), stolen by the hypervisor (a virtual machine's cores shared with others),
 * and everything, idle included.
 */
export function machineCpu(): { busy: number; steal: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
    const busy = user + nice + system + irq + softirq;
    return { busy: busy / CLOCK_TICKS, steal: steal / CLOCK_TICKS, total: (busy + idle + iowait + steal) / CLOCK_TICKS };
  } catch {
    return { busy: Number.NaN, steal: Number.NaN, total: Number.NaN };
  }
}

/** What `fn` cost: each probe's CPU-seconds while it ran, and the machine's busy and stolen shares of all its cores. */
export async function withCpu<T>(
  probes: CpuProbe[],
  fn: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number>; machineBusy: number; machineStolen: number }> {
  const [before, machineBefore] = [cpuSnapshot(probes), machineCpu()];
  const result = await fn();
  const [after, machineAfter] = [cpuSnapshot(probes), machineCpu()];
  const total = machineAfter.total - machineBefore.total;
  return {
    result,
    cpu: Object.fromEntries(probes.map((p) => [p.label, cpuUsed(before[p.label], after[p.label])])),
    machineBusy: (machineAfter.busy - machineBefore.busy) / total,
    machineStolen: (machineAfter.steal - machineBefore.steal) / total,
  };
}

/**
 * The platform's processes as CPU probes: with a process per service, its gateway (when asked
 * for) and its subgraphs apart (each subgraph process apart with BENCH_CPU_PER_SUBGRAPH=1); in one
 * process, that process.
 */
export function platformProbes(platform: PlatformProcess, options: { gateway: boolean }): CpuProbe[] {
  const pids = platform.pids ?? {};
  const subgraphs = [...new Set(Object.entries(pids).flatMap(([name, pid]) => (name === 'gateway' ? [] : [pid])))];
  if (!pids.gateway || subgraphs.length === 0 || subgraphs.includes(pids.gateway)) return [{ label: 'platform', pid: platform.child.pid! }];
  const gateway = options.gateway ? [{ label: 'platform gateway', pid: pids.gateway }] : [];
  if (process.env.BENCH_CPU_PER_SUBGRAPH === '1') {
    // Per process: in PLATFORM_PROCESSES=two one process serves every subgraph.
    const names = (pid: number) => Object.keys(pids).filter((name) => name !== 'gateway' && pids[name] === pid);
    return [...gateway, ...subgraphs.map((pid) => ({ label: names(pid).join(' + '), pid }))];
  }
  return [...gateway, { label: 'subgraphs', pid: subgraphs }];
}

/** The label of postgresProbe's CPU figures. */
export const POSTGRES_LABEL = 'postgres';

/**
 * Postgres on this machine (its postmaster and every backend) as a CPU probe, when it runs here:
 * a gateway that sends more subgraph calls makes more statements, and that CPU is the machine's
 * too. Undefined when no local postmaster shows in /proc (a remote database, not Linux).
 */
export function postgresProbe(): CpuProbe | undefined {
  const table = processTable();
  for (const [pid, [parent, , command]] of table) {
    if (command === 'postgres' && table.get(parent)?.[2] !== 'postgres') return { label: POSTGRES_LABEL, pid };
  }
  return undefined;
}

/** CPU per 1000 requests and share of one core, per probed process, as table columns. */
export function cpuColumns(m: Measurement): Record<string, string> {
  const columns: Record<string, string> = {};
  for (const [label, seconds] of Object.entries(m.cpu)) {
    const known = Number.isFinite(seconds) && m.requests > 0;
    columns[`${label} CPU s/1k req`] = known ? ((seconds / m.requests) * 1000).toFixed(2) : '-';
    columns[`${label} % core`] = known ? `${Math.round((seconds / m.seconds) * 100)}%` : '-';
  }
  return columns;
}

/**
 * Prints each probe's CPU while nothing is asked of it, as % of a core over `ms`: background
 * work (polling, timers) that the figures per 1000 requests include.
 */
export async function printIdleCpu(probes: CpuProbe[], ms = 2_000) {
  const { cpu } = await withCpu(probes, () => new Promise((resolve) => setTimeout(resolve, ms)));
  const shares = probes.map((p) => `${p.label} ${Math.round((cpu[p.label] / (ms / 1000)) * 100)}%`);
  console.log(`\n# CPU at rest over ${ms / 1000} s, % of a core: ${shares.join(', ')}`);
}

/**
 * Fixed-concurrency HTTP load (autocannon options), after a 1 s warm-up: JIT, query-plan cache,
 * connection pools. Latency in ms. The probes' CPU is read after the warm-up and after the run.
 */
export async function measure(scenario: Scenario): Promise<Measurement> {
  const { probes = [], ...opts } = scenario;
  await autocannon({ ...opts, duration: 1 });
  const { result: r, cpu } = await withCpu(probes, () => autocannon(opts));
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx + r.mismatches,
    requests: r.requests.total,
    seconds: r.duration,
    cpu,
  };
}

/**
 * Each scenario measured `rounds` times, alternating, so drift on the machine (JIT, GC, other
 * load) hits all alike. Per scenario: mean req/s (rounded), worst p50 and p99, all errors, and
 * requests, seconds and CPU summed over the rounds.
 */
export async function alternate(scenarios: Scenario[], rounds: number): Promise<Measurement[]> {
  const runs = scenarios.map(() => [] as Measurement[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, scenario] of scenarios.entries()) runs[i].push(await measure(scenario));
  }
  const sum = (list: Measurement[], pick: (m: Measurement) => number) => list.reduce((total, m) => total + pick(m), 0);
  return runs.map((list) => ({
    rps: Math.round(sum(list, (r) => r.rps) / list.length),
    p50: Math.max(...list.map((r) => r.p50)),
    p99: Math.max(...list.map((r) => r.p99)),
    errors: sum(list, (r) => r.errors),
    requests: sum(list, (r) => r.requests),
    seconds: sum(list, (r) => r.seconds),
    cpu: Object.fromEntries(Object.keys(list[0].cpu).map((label) => [label, sum(list, (r) => r.cpu[label])])),
  }));
}

/**
 * The `data` of every request's answer (as JSON text): the first request alone (it warms up
 * what a cold process loads once, such as the JWKS), then the others `concurrency` at a time,
 * as under load, so an answer given to the wrong caller would show. An error, a non-2xx status
 * or no data throws.
 */
export async function answersOf(url: string, requests: autocannon.Request[], concurrency = 16): Promise<string[]> {
  const answer = async (req: autocannon.Request) => {
    const res = await fetch(url, { method: 'POST', headers: req.headers as Record<string, string>, body: req.body as string });
    const body = (await res.json()) as { data?: unknown; errors?: unknown };
    if (!res.ok || body.errors || !body.data) throw new Error(`${url} answered ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return JSON.stringify(body.data);
  };
  const answers = [await answer(requests[0])];
  let next = 1;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests.length; i = next++) answers[i] = await answer(requests[i]);
    }),
  );
  return answers;
}

/**
 * `requests` for autocannon, one after the other across all connections. (Given as a list,
 * every connection would walk it from the start in step, so concurrent requests would mostly be
 * the same user's, which a gateway merging identical in-flight fetches turns into fewer fetches.)
 */
export function inTurn(requests: autocannon.Request[]): autocannon.Request[] {
  if (requests.length < 2) return requests;
  let next = 0;
  const pick = (base: autocannon.Request): autocannon.Request => {
    const { headers, body } = requests[next++ % requests.length];
    return { ...base, headers, body };
  };
  return [{ method: 'POST', setupRequest: pick }];
}

/** For autocannon's `verifyBody`: a GraphQL answer (status 200 either way) without errors. */
export const withoutGraphqlErrors = (body: unknown) => typeof body === 'string' && !body.includes('"errors"');

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

/**
 * A full collection in this process, the load generator, before a benchmark: the garbage the
 * earlier ones left (autocannon's buffers, their answers) is otherwise collected during the next
 * measurement, pausing the clients and the clock that times them (a 21 ms scavenge, the heap at
 * 196 MB, during one full run's saga open loop).
 */
export function collectGarbage() {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

export function printTable(title: string, rows: Record<string, string | number>[]) {
  console.log(`\n## ${title}`);
  console.table(rows);
}

export interface PlatformProcess {
  gatewayUrl: string;
  urls: Record<string, string>;
  embedded: Record<string, boolean>;
  /** Each service's process id (all the same when the platform runs in one process). */
  pids?: Record<string, number>;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The bench scripts BENCH_CPU_PROF profiles: the platform's, and the compared gateways' (ours, Hive, plain Apollo). */
const PROFILED_SCRIPTS = /platform|gateway-process/;

/** Runs a bench script in its own process; resolves with the JSON line it prints when ready. */
export async function startChild<T>(
  script: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<T & { child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF && PROFILED_SCRIPTS.test(script) ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
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

/**
 * Several children at once; if one does not start, the others that did are stopped before the
 * error goes on (a failed start used to leave them running, idle, after the bench had exited).
 */
export async function startChildren<T extends { stop(): Promise<void> }>(starts: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (!failed) return started;
  await Promise.all(started.map((child) => child.stop()));
  throw failed.reason;
}

/** Starts bench/platform-process.ts and waits for its URLs. */
export const startPlatformProcess = (env: Record<string, string | undefined> = {}): Promise<PlatformProcess> =>
  startChild<Omit<PlatformProcess, 'child' | 'stop'>>('./platform-process.ts', [], env);

/**
 * Keep-alive connections for the load's own requests: `fetch` (undici with web streams) cost
 * the bench about twice the CPU per request, on the cores the platform is measured on.
 */
const benchAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** POSTs a GraphQL request with the bench's keep-alive agent; resolves with its parsed JSON body. */
function postJson(url: string, payload: string, token?: string): Promise<{ data?: any; errors?: unknown[] }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: benchAgent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error(`HTTP ${res.statusCode}: not JSON: ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function graphql(url: string, query: string, variables?: unknown, token?: string) {
  const body = await postJson(url, JSON.stringify({ query, variables }), token);
  if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * The platform at rest: what each of its processes costs while nobody asks anything of it (timers,
 * polls, heartbeats). On a small machine this is paid under load too, by the same cores: every
 * wake-up of an idle process is a context switch and a cold cache for whatever it interrupts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type PlatformProcess, printTable, withCpu } from './lib.js';

/** Context switches of every thread of `pid` so far (voluntary: the process slept and was woken); NaN off Linux. */
function contextSwitches(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      return sum + Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    }, 0);
  } catch {
    return Number.NaN;
  }
}

export interface AtRestRow {
  process: string;
  '% of a core': number;
  'wake-ups/s': number;
}

/**
 * Each platform process's CPU (% of a core) and wake-ups per second over `seconds` with no load,
 * and the machine's busy share (every core: Postgres, NATS, Redis and this bench's own idle loop
 * included). One row when the platform runs in one process.
 */
export async function benchAtRest(platform: PlatformProcess, seconds: number): Promise<{ rows: AtRestRow[]; machineBusy: number }> {
  const pids = platform.pids ?? {};
  const byPid = new Map<number, string[]>();
  for (const [name, pid] of Object.entries(pids)) byPid.set(pid, [...(byPid.get(pid) ?? []), name]);
  if (byPid.size === 0) byPid.set(platform.child.pid!, ['platform']);
  const processes = [...byPid].map(([pid, names]) => ({ pid, label: names.join(' + ') }));
  // Settle first: a service that just started is still compiling and filling its pools.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const switchesBefore = processes.map((p) => contextSwitches(p.pid));
  const { cpu, machineBusy } = await withCpu(
    processes.map((p) => ({ label: p.label, pid: p.pid, descendants: false })),
    () => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
  );
  const rows = processes.map((p, i) => ({
    process: p.label,
    '% of a core': Math.round((cpu[p.label] / seconds) * 1000) / 10,
    'wake-ups/s': Math.round((contextSwitches(p.pid) - switchesBefore[i]) / seconds),
  }));
  const total = {
    process: 'all platform processes',
    '% of a core': Math.round(rows.reduce((sum, r) => sum + r['% of a core'], 0) * 10) / 10,
    'wake-ups/s': rows.reduce((sum, r) => sum + r['wake-ups/s'], 0),
  };
  printTable(`The platform at rest: ${seconds} s with no load; the machine ${Math.round(machineBusy * 1000) / 10}% busy (all cores)`, [
    ...rows,
    total,
  ]);
  return { rows: [...rows, total], machineBusy };
}

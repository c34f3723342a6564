/**
 * The machine's busy share, interval by interval, while a run goes on (/proc/stat: Linux only;
 * elsewhere no samples). A run's CPU totals say how full the machine was on average; these say
 * when, so that a late order can be set beside what the machine was doing as it waited.
 */
import { machineCpu } from './lib.js';

export interface BusySample {
  /** When the interval ended, epoch ms (the clock of the saga bench's due and end times). */
  at: number;
  /** Share of all the machine's cores busy during the interval, 0-1 (the kernel counts in 10 ms ticks). */
  busy: number;
}

const now = () => performance.timeOrigin + performance.now();

/** Samples every `everyMs` (default 100) until `stop()`, which returns the samples. */
export function sampleMachineBusy(everyMs = 100): { stop(): BusySample[] } {
  const samples: BusySample[] = [];
  let last = machineCpu();
  const timer = setInterval(() => {
    const current = machineCpu();
    const total = current.total - last.total;
    if (total > 0) samples.push({ at: now(), busy: (current.busy - last.busy) / total });
    last = current;
  }, everyMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}

/**
 * An open loop of the order saga second by second: the orders due in each second, how long they
 * took, and how busy the machine was while they ran. A p99 missed in one second only is a stall
 * (a collection, a process that waited for a core) and the backlog behind it; missed in every
 * second with the machine near full, it is capacity.
 */
import { percentile } from './fixtures.js';
import type { BusySample } from './machine-busy.js';

/** What of a placed order (bench/saga.ts) this reads. */
interface TimedOrder {
  dueAt: number;
  endedAt: number | null;
  status: string;
}

const pct = (share: number) => Math.round(share * 100);

export function sagaSeconds(orders: readonly TimedOrder[], busy: readonly BusySample[]) {
  if (!orders.length) return [];
  const first = Math.min(...orders.map((o) => o.dueAt));
  const seconds = Math.floor((Math.max(...orders.map((o) => o.dueAt)) - first) / 1000) + 1;
  return Array.from({ length: seconds }, (_, s) => {
    const from = first + s * 1000;
    const due = orders.filter((o) => o.dueAt >= from && o.dueAt < from + 1000);
    const latencies = due
      .filter((o) => o.status === 'CONFIRMED')
      .map((o) => o.endedAt! - o.dueAt)
      .sort((a, b) => a - b);
    // While these orders ran: from the second's start until the last of them ended.
    const until = Math.max(from + 1000, ...due.map((o) => o.endedAt ?? from + 1000));
    const shares = busy.filter((b) => b.at > from && b.at <= until).map((b) => b.busy);
    return {
      second: s + 1,
      'orders due': due.length,
      confirmed: latencies.length,
      'p50 ms': Math.round(percentile(latencies, 50) ?? Number.NaN),
      'p99 ms': Math.round(percentile(latencies, 99) ?? Number.NaN),
      'max ms': Math.round(latencies.at(-1) ?? Number.NaN),
      'machine busy % (mean / max of 100 ms)': shares.length
        ? `${pct(shares.reduce((a, b) => a + b, 0) / shares.length)} / ${pct(Math.max(...shares))}`
        : '-',
    };
  });
}

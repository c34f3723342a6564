/**
 * Issue 14's table: each measure with its goal, read from what the benchmarks of this run
 * returned, printed last by `npm run bench`. A measure whose benchmark did not run (BENCH_ONLY)
 * shows as not run.
 */
import type { GatewayComparison } from './gateways.js';
import { formatHostSpeed, type HostSpeed } from './host-speed.js';
import type { MeComparison } from './me.js';
import { SAGA_P99_GOAL_MS, SUSTAINED_COLUMN } from './saga-capacity.js';

type Row = Record<string, unknown>;

/** What run.ts collects from the benchmarks it ran. */
export interface BenchResults {
  gateways?: GatewayComparison;
  me?: MeComparison;
  /** benchTokenVerification: `measurement`, `µs per request`. */
  tokens?: Row[];
  /** benchSaga: the goal's run first (`orders/s`, `p50 ms`, `p99 ms`); `oversold` where stock was read back. */
  saga?: Row[];
  /** benchFanout, one result per run: `scenario`, `deliveries/s`, `p99 ms`. */
  fanout?: Row[];
  /** benchSubscribers: `subscriptions` ("<live> live of <total> ..."), `p50 ms`, `p99 ms`. */
  subscribers?: { rows: Row[]; memory?: Row[] };
  /** hostSpeed before the platform started and after the last benchmark (the platform idle). */
  hostBefore?: HostSpeed;
  hostAfter?: HostSpeed;
}

interface Goal {
  measure: string;
  goal: string;
  /** The measured figure and whether it meets the goal (unknown: undefined); undefined when its benchmark did not run. */
  evaluate(results: BenchResults): { figure: string; met?: boolean } | undefined;
}

const num = (value: unknown) => (typeof value === 'number' ? value : Number.parseFloat(String(value)));
const x = (n: number) => `${n.toFixed(2)}x`;

const gatewayGoal = (measure: string, vs: 'vsHive' | 'vsApollo', target: number, query: string): Goal => ({
  measure,
  goal: `>= ${target}x`,
  evaluate: ({ gateways }) => {
    const ratio = gateways?.ratios.find((r) => r.query === query)?.[vs];
    return ratio === undefined ? undefined : { figure: x(ratio), met: ratio >= target };
  },
});

const meGoal = (measure: string, cost: 'profile' | 'twoSubgraphs', target: number): Goal => ({
  measure,
  goal: `<= ${target}x the cost`,
  evaluate: ({ me }) => me && { figure: `${me.cost[cost].toFixed(1)}x the cost`, met: me.cost[cost] <= target },
});

export const GOALS: Goal[] = [
  gatewayGoal('deep federated query, ours vs @graphql-hive/gateway (defaults)', 'vsHive', 1.5, 'deep authenticated'),
  gatewayGoal('same, ours vs plain @apollo/gateway', 'vsApollo', 2, 'deep authenticated'),
  meGoal('me { id profile } through the gateway vs the users subgraph directly', 'profile', 3),
  meGoal('me { id username profile } (two subgraphs) vs direct', 'twoSubgraphs', 5),
  {
    measure: 'token check with revocation, token seen before',
    goal: '<= 20 µs, revocation still prompt on every replica',
    evaluate: ({ tokens }) => {
      // The last "seen before" row is the production setup (shared Redis), the others lighter variants.
      const row = tokens?.filter((r) => /seen before/i.test(String(r.measurement))).at(-1);
      if (!row) return undefined;
      const micros = num(row['µs per request']);
      return { figure: `${micros} µs (${row.measurement})`, met: micros <= 20 };
    },
  },
  {
    measure: 'order saga, createOrder -> CONFIRMED',
    goal: '100 orders/s sustained, p99 <= 50 ms, zero oversell',
    evaluate: ({ saga }) => {
      // The first row is the goal's run (the open loop); `oversold` is counted wherever stock was read back.
      const row = saga?.[0];
      if (!row) return undefined;
      const rate = num(row['orders/s']);
      const p99 = num(row['p99 ms']);
      const counted = saga!.filter((r) => r.oversold !== undefined);
      const oversold = counted.length ? counted.reduce((sum, r) => sum + num(r.oversold), 0) : undefined;
      // The machine's load beside it: a miss with every core busy is capacity, not waiting.
      const load =
        row['machine busy %'] === undefined || row['machine busy %'] === '-'
          ? ''
          : `; machine ${row['machine busy %']}% busy, ${row['stolen %']}% stolen, platform ${row['platform CPU ms/order']} ms CPU/order`;
      // How far the machine is from the goal: the highest rate that kept the goal's p99 (bench/saga-capacity.ts).
      const capacity = row[SUSTAINED_COLUMN] === undefined ? '' : `; ${SUSTAINED_COLUMN} ${row[SUSTAINED_COLUMN]}`;
      const figure = `${rate} orders/s, p50 ${row['p50 ms']} ms, p99 ${p99} ms, ${oversold === undefined ? 'oversell not counted' : `${oversold} oversold`}${load}${capacity}`;
      // N orders due at 100/s end over (N-1)/100 s plus the last one's latency: 500 orders kept up with read ~99/s.
      return { figure, met: rate >= 98 && p99 <= SAGA_P99_GOAL_MS && oversold === 0 };
    },
  },
  {
    measure: 'stockUpdated fan-out / subscribers on one gateway',
    goal: '10,000 subscribers on one gateway, p99 <= 200 ms',
    evaluate: ({ fanout, subscribers }) => {
      const own = fanout?.filter((r) => /own user/.test(String(r.scenario)));
      const small = (own?.length ? own : fanout)
        ?.map((r) => `${r.scenario}: ${r['deliveries/s']} deliveries/s, p99 ${r['p99 ms']} ms`)
        .join('; ');
      const row = subscribers?.rows[0];
      if (!row) return small ? { figure: `${small} (10,000-subscriber run not run)` } : undefined;
      const live = num(String(row.subscriptions).match(/^(\d+) live/)?.[1]);
      const p99 = num(row['p99 ms']);
      return { figure: `${live} live, p50 ${row['p50 ms']} ms, p99 ${p99} ms`, met: live >= 10_000 && p99 <= 200 };
    },
  },
];

/** The issue's table with this run's figures: measure, measured, goal, met. */
export function goalRows(results: BenchResults): Record<string, string>[] {
  const rows = GOALS.map((goal) => {
    const outcome = goal.evaluate(results);
    return {
      measure: goal.measure,
      measured: outcome?.figure ?? 'not run',
      goal: goal.goal,
      met: outcome?.met === undefined ? '-' : outcome.met ? 'yes' : 'NO',
    };
  });
  const mean = results.gateways?.ratios.find((r) => r.query === 'geometric mean');
  if (mean) {
    const queries = results.gateways!.ratios.length - 1;
    rows.push({
      measure: `(for reference) all ${queries} gateway queries, geometric mean`,
      measured: `${x(mean.vsHive)} Hive, ${x(mean.vsApollo)} plain Apollo`,
      goal: '-',
      met: '-',
    });
  }
  if (results.hostBefore && results.hostAfter) {
    rows.push({
      measure: "(for reference) this machine's speed before / after the run",
      measured: `${formatHostSpeed(results.hostBefore)} / ${formatHostSpeed(results.hostAfter)}`,
      goal: '-',
      met: '-',
    });
  }
  return rows;
}

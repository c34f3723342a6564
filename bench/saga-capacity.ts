/**
 * The saga's capacity on this machine: open loops at rising arrival rates, after the goal's run,
 * and the highest rate whose orders all ended CONFIRMED with a p99 within the goal's 50 ms.
 *
 * Why beside the goal's row: at 100 orders/s the platform, Postgres, NATS and the bench use about
 * as much CPU as two cores have, so that row's p99 is a queue whose length follows the machine's
 * mood of the minute (151 ms to 2 s between runs of one tree). The highest rate that keeps the
 * goal's latency moves far less from run to run, and says how far the machine is from the goal.
 */

/** The goal's latency for the saga (p99, ms). */
export const SAGA_P99_GOAL_MS = 50;

/** The goal row's column naming the sustained rate (`sustainedRate`), read by bench/goals.ts. */
export const SUSTAINED_COLUMN = `p99 <= ${SAGA_P99_GOAL_MS} ms up to`;

/** Rates (orders/s) of the ramp: BENCH_SAGA_RAMP, comma-separated; default 20,40,60,80; empty: no ramp. */
export function rampRates(): number[] {
  const text = process.env.BENCH_SAGA_RAMP ?? '20,40,60,80';
  return text
    .split(',')
    .map((rate) => Number(rate.trim()))
    .filter((rate) => Number.isFinite(rate) && rate > 0);
}

/** What `keptUp` reads of a saga row (bench/saga.ts). */
interface SagaRunFigures {
  'orders/s': number;
  'p99 ms': number;
  cancelled: number;
  'failed/unfinished': number;
}

/** A run kept up with its rate (as the goal's row counts it: 98% of it achieved), every order confirmed, and its p99 within the goal. */
export function keptUp(row: SagaRunFigures, rate: number): boolean {
  return row['orders/s'] >= rate * 0.98 && row['p99 ms'] <= SAGA_P99_GOAL_MS && row.cancelled === 0 && row['failed/unfinished'] === 0;
}

/**
 * The highest rate up to which every run kept up (the ramp's and the goal's, in rate order): a
 * rate that kept up above one that did not is not counted, so one lucky run cannot raise it.
 * Null: the lowest did not.
 */
export function sustainedRate(runs: readonly { rate: number; keptUp: boolean }[]): number | null {
  let sustained: number | null = null;
  for (const run of [...runs].sort((a, b) => a.rate - b.rate)) {
    if (!run.keptUp) break;
    sustained = run.rate;
  }
  return sustained;
}

/** What the soak counts: requests served and their latencies per kind, errors by kind and code. */

export interface KindStats {
  ok: number;
  /** Answers that were errors the soak asked for on purpose (an unknown id, a bad token...). */
  expectedErrors: number;
  errors: number;
  latencies: number[];
}

/** Latencies kept per kind: enough for a p99, bounded whatever the run's length. */
const MAX_SAMPLES = 50_000;

export class Stats {
  readonly kinds = new Map<string, KindStats>();
  /** `kind -> code -> count`, unexpected errors. */
  readonly errors = new Map<string, Map<string, number>>();
  /** `kind -> code -> count`, errors the soak provoked on purpose. */
  readonly expected = new Map<string, Map<string, number>>();
  /** The first few unexpected errors in full, to show what went wrong. */
  readonly examples: string[] = [];

  private kind(name: string): KindStats {
    let k = this.kinds.get(name);
    if (!k) this.kinds.set(name, (k = { ok: 0, expectedErrors: 0, errors: 0, latencies: [] }));
    return k;
  }

  ok(kind: string, ms: number) {
    const k = this.kind(kind);
    k.ok++;
    if (k.latencies.length < MAX_SAMPLES) k.latencies.push(ms);
    else k.latencies[Math.floor(Math.random() * MAX_SAMPLES)] = ms;
  }

  expectedError(kind: string, code: string, ms: number) {
    const k = this.kind(kind);
    k.expectedErrors++;
    if (k.latencies.length < MAX_SAMPLES) k.latencies.push(ms);
    bump(this.expected, kind, code);
  }

  error(kind: string, code: string, detail?: string) {
    this.kind(kind).errors++;
    bump(this.errors, kind, code);
    if (this.examples.length < 12) this.examples.push(`${kind} ${code}${detail ? `: ${detail.slice(0, 300)}` : ''}`);
  }

  get unexpectedErrors(): number {
    let n = 0;
    for (const k of this.kinds.values()) n += k.errors;
    return n;
  }

  get served(): number {
    let n = 0;
    for (const k of this.kinds.values()) n += k.ok + k.expectedErrors;
    return n;
  }
}

function bump(map: Map<string, Map<string, number>>, kind: string, code: string) {
  let codes = map.get(kind);
  if (!codes) map.set(kind, (codes = new Map()));
  codes.set(code, (codes.get(code) ?? 0) + 1);
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

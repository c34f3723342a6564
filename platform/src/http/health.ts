export interface CheckResult {
  ok: boolean;
  detail?: string;
}
export type HealthCheck = () => Promise<CheckResult>;

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  timestamp: string;
  version: string;
  service: string;
  /** latencyMs and detail only in an operator's view (publicHealth drops them). */
  checks: Record<string, { status: 'up' | 'down'; latencyMs?: number; detail?: string }>;
}

/** Runs every check in parallel, each bounded by `timeoutMs`, in seed 004's `{status, timestamp, version}` shape. */
export async function runHealthChecks(
  service: string,
  version: string,
  checks: Record<string, HealthCheck>,
  timeoutMs = 2_000,
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const started = performance.now();
      let result: CheckResult;
      try {
        result = await Promise.race([
          check(),
          new Promise<CheckResult>((resolve) => setTimeout(() => resolve({ ok: false, detail: 'timed out' }), timeoutMs).unref()),
        ]);
      } catch (err) {
        result = { ok: false, detail: (err as Error).message };
      }
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      return [name, { status: result.ok ? 'up' : 'down', latencyMs, ...(result.detail ? { detail: result.detail } : {}) }] as const;
    }),
  );
  const report = Object.fromEntries(entries) as HealthReport['checks'];
  return {
    status: Object.values(report).every((c) => c.status === 'up') ? 'healthy' : 'unhealthy',
    timestamp: new Date().toISOString(),
    version,
    service,
    checks: report,
  };
}

/** What anyone may see: each check up or down, without latencies or error texts (those are for operators). */
export function publicHealth(report: HealthReport): HealthReport {
  return { ...report, checks: Object.fromEntries(Object.entries(report.checks).map(([name, check]) => [name, { status: check.status }])) };
}

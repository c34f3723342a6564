import type { HealthCheck } from '@app/platform/core';

/**
 * One readiness check per subgraph (`subgraph:<name>`), not liveness: a subgraph whose database
 * is down is up but cannot serve, and its own /health says so.
 */
export function subgraphHealthChecks(subgraphs: { name: string; url: string }[]): Record<string, HealthCheck> {
  return Object.fromEntries(subgraphs.map((s) => [`subgraph:${s.name}`, () => subgraphReadiness(s.url)]));
}

async function subgraphReadiness(url: string) {
  const res = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2_000) }).catch((err: Error) => {
    if (err.name === 'TimeoutError') return null;
    throw err;
  });
  if (!res) return { ok: false, detail: 'timed out' };
  if (res.ok) return { ok: true };
  const body = (await res.json().catch(() => null)) as { checks?: Record<string, { status: string }> } | null;
  const down = Object.entries(body?.checks ?? {})
    .filter(([, check]) => check.status === 'down')
    .map(([name]) => name);
  return { ok: false, detail: down.length ? `down: ${down.join(', ')}` : `HTTP ${res.status}` };
}

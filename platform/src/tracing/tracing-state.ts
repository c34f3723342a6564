/**
 * Whether tracing was started in this process. Read when the HTTP shell, the subgraph server and
 * the logger are built, so that with tracing off they add no hook, resolver wrapper or log mixin.
 */
let enabled = false;

export function tracingEnabled(): boolean {
  return enabled;
}

export function setTracingEnabled(value: boolean): void {
  enabled = value;
}

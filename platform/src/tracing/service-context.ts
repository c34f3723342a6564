import { type Context, context, createContextKey } from '@opentelemetry/api';

/**
 * Which service a piece of work belongs to, carried in the OpenTelemetry context. The one-process
 * platform runs every service under one tracer provider: the provider reads this to report each
 * span under its service's `service.name` (ServiceTracerProvider). Set by the HTTP shell for
 * requests, by the outbox relay for its publishes, and around each service's build (so the bus
 * consumers it subscribes carry it).
 */
const SERVICE_KEY = createContextKey('app.service.name');

export function withService(ctx: Context, service: string): Context {
  return ctx.setValue(SERVICE_KEY, service);
}

export function serviceOf(ctx: Context): string | undefined {
  return ctx.getValue(SERVICE_KEY) as string | undefined;
}

/** Runs `fn` (and whatever it starts asynchronously) as work of `service`. */
export function runAsService<T>(service: string, fn: () => T): T {
  return context.with(withService(context.active(), service), fn);
}

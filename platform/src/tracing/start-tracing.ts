import { context, DiagLogLevel, diag, propagation, type TracerProvider, trace } from '@opentelemetry/api';
import { ConfigError, commonEnv, loadConfig, tracingEnv } from '../config.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { Service } from '../service/service.js';
import { version } from '../service/version.js';
import { TracingRouter } from './tracing-router.js';
import { setTracingEnabled, tracingEnabled } from './tracing-state.js';

/** A process's tracing: what to flush and stop. */
export interface Tracing {
  /** False when OTEL_EXPORTER_OTLP_ENDPOINT is unset; then flushing and stopping do nothing. */
  readonly enabled: boolean;
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /** Exports what is left and turns tracing off. Idempotent. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** The service this process runs (`orders`), or `platform` for the one-process platform. */
  service: string;
  /**
   * Several services in this process: each span is reported under the service its context names
   * (set by the HTTP shell, the outbox relay and runAsService), the rest under `service`.
   * Default false: every span under `service` (or OTEL_SERVICE_NAME).
   */
  perService?: boolean;
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Where the SDK's own warnings go (an unreachable collector). Default: nowhere. */
  logger?: Logger;
}

export class TracingRegistrationError extends Error {
  override name = 'TracingRegistrationError';
  readonly code = 'TRACING_REGISTRATION_FAILED';
  constructor() {
    super('another OpenTelemetry tracer provider is registered in this process');
  }
}

const tracingOff: Tracing = { enabled: false, forceFlush: async () => {}, shutdown: async () => {} };

/** Registered as the global tracer provider at the first start, and kept (see TracingRouter). */
let router: TracingRouter | undefined;
/** The tracing running now, if any. */
let running: Tracing | undefined;

/**
 * Starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans batched to `<endpoint>/v1/traces`
 * (OTLP/HTTP, JSON), W3C trace context (`traceparent`) across HTTP and NATS, async context through
 * AsyncLocalStorage. Unset, nothing is loaded or registered: every span is the API's no-op. Call
 * it before the services are built: the HTTP shell, subgraph servers and loggers add their
 * tracing parts only when it runs. Started already in this process (two platforms in one test
 * process), the running one is shared: the second handle flushes it but does not stop it.
 */
export async function startTracing(options: StartTracingOptions): Promise<Tracing> {
  const config = loadConfig(tracingEnv, options.env ?? process.env);
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return tracingOff;
  if (running && tracingEnabled()) return { enabled: true, forceFlush: running.forceFlush, shutdown: async () => {} };

  // Loaded only when tracing is on: a process without it never loads the SDK.
  const [
    { BasicTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    resources,
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  if (options.logger) forwardDiagnostics(options.logger);
  const exporter = new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` });
  // One batch for every service of the process: the exporter groups spans by resource.
  const processor = new BatchSpanProcessor(exporter);
  // OTEL_RESOURCE_ATTRIBUTES (deployment.environment, ...) under each service's name and version.
  const base = resources.defaultResource().merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const defaultService = config.OTEL_SERVICE_NAME ?? options.service;
  const providers = new Map<string, TracerProvider>();
  const providerOf = (name: string) => {
    let provider = providers.get(name);
    if (!provider) {
      const resource = base.merge(resources.resourceFromAttributes({ 'service.name': name, 'service.version': version }));
      providers.set(name, (provider = new BasicTracerProvider({ resource, spanProcessors: [processor] })));
    }
    return provider;
  };

  if (!router) {
    const candidate = new TracingRouter();
    if (!trace.setGlobalTracerProvider(candidate)) throw new TracingRegistrationError();
    router = candidate;
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  router.attach({ providerFor: (service) => providerOf(options.perService && service ? service : defaultService) });
  setTracingEnabled(true);

  const active = router;
  let stopping: Promise<void> | undefined;
  const tracing: Tracing = {
    enabled: true,
    forceFlush: () => processor.forceFlush(),
    shutdown: () =>
      (stopping ??= (async () => {
        setTracingEnabled(false);
        running = undefined;
        active.detach();
        await processor.shutdown();
        propagation.disable();
        context.disable();
        diag.disable();
      })()),
  };
  running = tracing;
  return tracing;
}

/** The SDK reports export failures through `diag`: into the service's log, warnings and up. */
function forwardDiagnostics(logger: Logger): void {
  const log =
    (level: 'error' | 'warn') =>
    (message: string, ...args: unknown[]) =>
      logger[level]({ otel: args.length ? args : undefined }, `tracing: ${message}`);
  const quiet = () => {};
  diag.setLogger(
    { error: log('error'), warn: log('warn'), info: quiet, debug: quiet, verbose: quiet },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

/**
 * For a service's own process (its index.ts): starts tracing from the environment, under the
 * service's name, the SDK's warnings into the service's log. A bad variable stops the process
 * with a message naming it, as runStandalone does.
 */
export async function startProcessTracing(service: string): Promise<Tracing> {
  try {
    const { LOG_LEVEL } = loadConfig({ LOG_LEVEL: commonEnv.LOG_LEVEL });
    return await startTracing({ service, logger: createLogger(service, LOG_LEVEL) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${service}: ${err.message}`);
    process.exit(1);
  }
}

/** The service, whose close() then flushes and stops tracing (the last spans of a shutdown go out). */
export function withTracingShutdown<S extends Service>(service: S, tracing: Tracing): S {
  if (!tracing.enabled) return service;
  const close = service.close.bind(service);
  return Object.assign(service, {
    close: async () => {
      try {
        await close();
      } finally {
        await tracing.shutdown();
      }
    },
  });
}

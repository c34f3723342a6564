// OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (see start-tracing.ts).

export { traceHttpRequests } from './http-server-spans.js';
export { traceRootResolvers } from './resolver-spans.js';
export { runAsService, serviceOf, withService } from './service-context.js';
export {
  type StartTracingOptions,
  startProcessTracing,
  startTracing,
  type Tracing,
  TracingRegistrationError,
  withTracingShutdown,
} from './start-tracing.js';
export { deserializeTraceContext, serializeTraceContext } from './trace-context.js';
export { tracingEnabled } from './tracing-state.js';

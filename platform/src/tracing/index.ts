// OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (see start-tracing.ts).
export { startTracing, startProcessTracing, withTracingShutdown, TracingRegistrationError, type Tracing, type StartTracingOptions } from './start-tracing.js';
export { tracingEnabled } from './tracing-state.js';
export { runAsService, withService, serviceOf } from './service-context.js';
export { serializeTraceContext, deserializeTraceContext } from './trace-context.js';
export { traceHttpRequests } from './http-server-spans.js';
export { traceRootResolvers } from './resolver-spans.js';

import {
  type Context,
  context,
  ProxyTracerProvider,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { serviceOf } from './service-context.js';

/** Where spans go while tracing runs: the SDK provider of each service. */
export interface SpanBackend {
  /** The provider for work of `service` (undefined: work of no service in particular). */
  providerFor(service: string | undefined): TracerProvider;
}

/** Hands out no-op tracers (a proxy that never gets a delegate). */
const noopProvider = new ProxyTracerProvider();

/**
 * The global tracer provider, registered once per process: tracing started attaches the SDK's
 * providers, tracing shut down detaches them. Registered once because `@opentelemetry/api` keeps
 * the first provider its tracers saw (`@apollo/gateway` takes its tracer when it is imported), so
 * a provider registered again after a shutdown would never reach them.
 *
 * Each span goes to the provider of the service its parent context names (withService): in the
 * one-process platform every service reports under its own `service.name`, which a resource fixes
 * per provider.
 */
export class TracingRouter implements TracerProvider {
  private backend?: SpanBackend;
  /** Bumped on attach and detach: tracers drop what they cached. */
  generation = 0;

  attach(backend: SpanBackend): void {
    this.backend = backend;
    this.generation++;
  }

  detach(): void {
    this.backend = undefined;
    this.generation++;
  }

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return new RoutedTracer(this, name, version, options);
  }

  /** The SDK tracer for work of `service`, or a no-op one while tracing is off. */
  resolve(service: string | undefined, name: string, version?: string, options?: TracerOptions): Tracer {
    return (this.backend?.providerFor(service) ?? noopProvider).getTracer(name, version, options);
  }
}

class RoutedTracer implements Tracer {
  private readonly tracers = new Map<string | undefined, Tracer>();
  private generation = -1;

  constructor(
    private readonly router: TracingRouter,
    private readonly name: string,
    private readonly version?: string,
    private readonly options?: TracerOptions,
  ) {}

  startSpan(name: string, options?: SpanOptions, ctx: Context = context.active()): Span {
    return this.tracerFor(serviceOf(ctx)).startSpan(name, options, ctx);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, a: SpanOptions | F, b?: Context | F, c?: F): ReturnType<F> {
    const fn = (c ?? (typeof b === 'function' ? b : a)) as F;
    const options = typeof a === 'function' ? undefined : a;
    const parent = typeof b === 'object' ? b : context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }

  private tracerFor(service: string | undefined): Tracer {
    if (this.generation !== this.router.generation) {
      this.tracers.clear();
      this.generation = this.router.generation;
    }
    let tracer = this.tracers.get(service);
    if (!tracer) this.tracers.set(service, (tracer = this.router.resolve(service, this.name, this.version, this.options)));
    return tracer;
  }
}

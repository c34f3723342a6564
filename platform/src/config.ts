import { z } from 'zod';
import { parseAes256Key } from './security/aes-gcm.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`);
  }
}

/**
 * OpenTelemetry tracing (platform/src/tracing). Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set:
 * otherwise no SDK is loaded and every span is the API's no-op.
 */
export const tracingEnv = {
  /**
   * Base URL of an OTLP/HTTP collector (`http://otel-collector:4318`): spans go to `<it>/v1/traces`
   * as OTLP JSON. Unset (the default): tracing is off. The SDK's own OTEL_EXPORTER_OTLP_HEADERS,
   * OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_* and OTEL_RESOURCE_ATTRIBUTES apply.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * The `service.name` spans are reported under. Default: the service's own name (`orders`,
   * `gateway`). In the one-process platform each service keeps its own name and this names only
   * what runs outside every service (default `platform`).
   */
  OTEL_SERVICE_NAME: z.string().min(1).max(100).optional(),
};

/** Settings every service reads. Variables are documented in the README's configuration table. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Listen address. Loopback unless said otherwise: `npm start` seeds a demo admin with a known
   * password, and nothing should be reachable from the network by accident. Containers set
   * 0.0.0.0 (Dockerfile, docker-compose.yml).
   */
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  NATS_URL: z
    .string()
    .regex(/^(nats|tls|wss?):\/\/[^\s]+$/, 'must be a nats:// URL (comma-separate several)')
    .optional(),
  /** Prefixes NATS subjects and streams, so several deployments (or test runs) can share one NATS. */
  NATS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  /**
   * Copies JetStream keeps of each stream: 1 on a single NATS server, 3 on a three-node cluster
   * (see the README's "Event durability and dead letters"). The same on every service.
   */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Where embedded mode keeps its PGlite data when DATABASE_URL is unset. */
  DATA_DIR: z.string().default('.data'),
  JWT_ISSUER: z.string().min(1).default('http://localhost:4001'),
  JWT_AUDIENCE: z.string().min(1).default('federated-platform'),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:4001/.well-known/jwks.json'),
  /** Longest wait for one Redis command; past it a cache read falls back and security state answers 503. */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** Longest wait for a Postgres connection (from the pool, or a new one) before answering 503. */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** Longest a statement may run (Postgres statement_timeout; the client gives up 2 s later on a server that stopped answering). */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /**
   * How long a pooled Postgres connection may sit idle before it is closed (pg's default is 10 s).
   * A new connection costs a server process and its caches warming up, paid under the burst that
   * needs it: with 10 s, a service under steady load with bursts closed the connections a burst
   * opened and opened them again at the next one.
   */
  DB_POOL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  ...tracingEnv,
};

/** A setting that holds an AES-256 key (base64 of 32 bytes); the message never repeats the value. */
export const aes256Key = () =>
  z.string().superRefine((value, ctx) => {
    try {
      parseAes256Key(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Reads and validates the environment. Empty strings count as unset so that
 * `FOO=` in a compose file means "use the default" rather than "invalid".
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })));
  }
  return result.data;
}

export type CommonConfig = z.infer<z.ZodObject<typeof commonEnv>>;

/**
 * In production every process must share its cache and event bus: with a private in-memory
 * cache a logout (the blacklist entry) never reaches the other services and replicas, and with a
 * private bus their events never arrive. Throws a ConfigError naming each missing variable. Only
 * the one-process embedded mode (`npm start`, which hands every service the same in-memory cache
 * and bus) may do without them.
 */
export function requireSharedInfrastructure(
  config: { NODE_ENV: string; REDIS_URL?: string; NATS_URL?: string },
  needs: { cache?: boolean; bus?: boolean } = {},
): void {
  if (config.NODE_ENV !== 'production') return;
  const problems: { variable: string; message: string }[] = [];
  if ((needs.cache ?? true) && !config.REDIS_URL) {
    problems.push({
      variable: 'REDIS_URL',
      message:
        'required in production: without it this process keeps logouts and rate limits in a private in-memory cache no other process sees',
    });
  }
  if ((needs.bus ?? true) && !config.NATS_URL) {
    problems.push({
      variable: 'NATS_URL',
      message: 'required in production: without it events stay in a private in-process bus no other process hears',
    });
  }
  if (problems.length) throw new ConfigError(problems);
}

import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`);
  }
}

/** Settings every service reads. Variables are documented in the README's configuration table. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  NATS_URL: z.string().regex(/^(nats|tls|wss?):\/\/[^\s]+$/, 'must be a nats:// URL (comma-separate several)').optional(),
  /** Prefixes NATS subjects and streams, so several deployments (or test runs) can share one NATS. */
  NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  /** Where embedded mode keeps its PGlite data when DATABASE_URL is unset. */
  DATA_DIR: z.string().default('.data'),
  JWT_ISSUER: z.string().min(1).default('http://localhost:4001'),
  JWT_AUDIENCE: z.string().min(1).default('federated-platform'),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:4001/.well-known/jwks.json'),
};

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
export function loadConfig<S extends z.ZodRawShape>(shape: S, env: Record<string, string | undefined> = process.env): z.infer<z.ZodObject<S>> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
    );
  }
  return result.data;
}

export type CommonConfig = z.infer<z.ZodObject<typeof commonEnv>>;

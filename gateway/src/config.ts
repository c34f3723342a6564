import { bool, commonEnv, loadConfig, operatorTokenEnv, port, queryLimitsEnv } from '@app/platform/core';
import { z } from 'zod';

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
/** A comma-separated list of names; `none` for none. */
const namesOrNone = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((list) =>
      list.trim() === 'none'
        ? []
        : list
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean),
    );

export const gatewayEnv = {
  ...commonEnv,
  PORT: port(4000),
  SUPERGRAPH_PATH: z.string().optional(),
  /** Per-subgraph URL overrides of supergraph.graphql's routing URLs (docker compose sets these). */
  SUBGRAPH_AUTH_URL: z.url().optional(),
  SUBGRAPH_USERS_URL: z.url().optional(),
  SUBGRAPH_WORKOUTS_URL: z.url().optional(),
  SUBGRAPH_CATALOG_URL: z.url().optional(),
  SUBGRAPH_ORDERS_URL: z.url().optional(),
  SUBGRAPH_RELATIONSHIP_MAP_URL: z.url().optional(),
  /** MAX_DEPTH, MAX_COMPLEXITY, MAX_ALIASES, MAX_TOKENS, MAX_DIRECTIVES(_PER_FIELD), MAX_VALIDATION_ERRORS: shared with the subgraphs. */
  ...queryLimitsEnv,
  /** Operations in one batched request; each counts against the rate limit. */
  MAX_BATCH_SIZE: count(5),
  /**
   * Longest wait for one subgraph fetch (ms). Past it the fields of that fetch are null with a
   * SERVICE_UNAVAILABLE error and every other subgraph's fields still arrive.
   */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** Kept-alive sockets the gateway holds open to each subgraph. */
  SUBGRAPH_CONNECTIONS: z.coerce.number().int().min(1).max(1024).default(64),
  /**
   * Subgraphs whose queries answer the same whoever asks (comma-separated names; `none` for
   * none): identical queries to them in flight at the same moment are sent once and the answer
   * shared. The catalog's reads are public by contract (only its mutations need a token).
   */
  /**
   * How long the gateway keeps a shared-read subgraph's answers (root queries whole, entities one
   * by one) in memory, in seconds; 0 turns it off. Emptied at every `cache.key.invalidated` such a
   * subgraph broadcasts after a write, and when this replica forwards a mutation to one.
   */
  PUBLIC_ANSWER_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  SHARED_READ_SUBGRAPHS: namesOrNone('catalog'),
  /**
   * Fields of auth's `User` that every signed-in caller sees alike and that change only when the
   * account is erased (comma-separated; `none` turns it off). The gateway keeps auth's answers for
   * entity fetches that ask only for these, for callers with a verified token, for
   * PUBLIC_ANSWER_CACHE_SECONDS, emptied at every `cache.account.invalidated` (an erasure). Do not
   * list `email` or `lineUserId`: auth answers them to their owner and admins only.
   */
  ACCOUNT_SHARED_FIELDS: namesOrNone('username,createdAt').refine((fields) => !fields.some((f) => f === 'email' || f === 'lineUserId'), {
    message: 'email and lineUserId are private to their owner and admins: they cannot be shared',
  }),
  /** Rate limit window in seconds, and requests allowed per window for a user / an anonymous IP. */
  RATE_LIMIT_WINDOW: count(60),
  RATE_LIMIT_USER: count(600),
  RATE_LIMIT_ANONYMOUS: count(120),
  /** Seed 004 section 4, per user: aggregateSignals per hour, generateMap per day, every other seed 004 operation per day (one counter). */
  /** How long `DELETE /api/users/me` waits for every service's erasure before answering 202 (ms; seed 004 answers 200 when done). */
  ERASURE_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
  RATE_LIMIT_SIGNALS_PER_HOUR: count(10),
  RATE_LIMIT_MAP_GENERATE_PER_DAY: count(100),
  RATE_LIMIT_MAP_OTHER_PER_DAY: count(1000),
  /** WebSocket (graphql-ws) limits: largest message in bytes (connection_init included), operations in flight per socket, open sockets per client IP. */
  WS_MAX_PAYLOAD: count(1024 * 1024),
  WS_MAX_OPERATIONS: count(100),
  WS_MAX_CONNECTIONS_PER_IP: count(500),
  /** Results (or unresolved events) one subscription may have waiting before it is ended. */
  WS_MAX_BUFFERED: count(1000),
  /** Comma-separated origins allowed by CORS (seed 004 section 6.2). */
  CORS_ORIGINS: z
    .string()
    .default('http://localhost:5173,http://localhost:3000')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /**
   * Proxies of ours in front of the gateway: the client address is that many entries from the
   * right of X-Forwarded-For (each proxy appends its peer). 0: the socket's address. Only when
   * every request comes through them: a client reaching the port directly could write the entries.
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).optional(),
  /** Older setting: true means TRUST_PROXY_HOPS=1 (TRUST_PROXY_HOPS wins when both are set). */
  TRUST_PROXY: bool(false),
  /** Who may read /metrics and the detailed /health: holders of this bearer token (unset: loopback clients only). */
  ...operatorTokenEnv,
  /** BFF cookies: `Secure` attribute (default: on in production) and the refresh cookie's lifetime. */
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  REFRESH_COOKIE_MAX_AGE: count(30 * 86_400),
  /** Where `GET /api/logout` redirects the browser. */
  LOGOUT_REDIRECT_URL: z.string().default('/'),
  // LINE (seed 002). Unset, the LINE routes answer 503 saying what is missing; nothing else changes.
  /** LINE Login channel: its id, and the callback URL registered in the LINE console (this gateway's /api/auth/line/callback). */
  LINE_LOGIN_CHANNEL_ID: z.string().regex(/^\d+$/, 'must be the numeric channel id').optional(),
  LINE_LOGIN_CALLBACK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Messaging API channel: the secret that signs webhooks, and the long-lived channel access token for replies. */
  LINE_CHANNEL_SECRET: z.string().min(1).optional(),
  LINE_CHANNEL_ACCESS_TOKEN: z.string().min(1).optional(),
  /** LINE's base URLs (a local fake in tests and demos). */
  LINE_AUTH_URL: z.url({ protocol: /^https?$/ }).default('https://access.line.me'),
  LINE_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.line.me'),
  /** Where the browser lands after LINE Login (with `error=` when it failed). */
  FRONTEND_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:5173'),
  /** This gateway's public base URL, for links sent in LINE replies. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:4000'),
  /** Shared with the auth service: authorises the gateway's internal calls (a LINE user's short-lived token). */
  INTERNAL_API_KEY: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  /** The auth service's base URL for internal calls; default: SUBGRAPH_AUTH_URL without /graphql, else http://127.0.0.1:4001. */
  AUTH_INTERNAL_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Introspection and the sandbox landing page; off in production unless set. */
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false']).optional(),
};
export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayEnv>>;
export const loadGatewayConfig = (env?: Record<string, string | undefined>) => loadConfig(gatewayEnv, env);

/** SUBGRAPH_<NAME>_URL, the variable for a subgraph named in supergraph.yaml (relationship-map -> RELATIONSHIP_MAP). */
export const subgraphUrlVariable = (name: string) => `SUBGRAPH_${name.toUpperCase().replace(/-/g, '_')}_URL`;

/** The SUBGRAPH_<NAME>_URL variables that point a gateway at running subgraphs (name -> base URL, `/graphql` added). */
export function subgraphUrlEnv(baseUrls: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(baseUrls).map(([name, url]) => [subgraphUrlVariable(name), `${url}/graphql`]));
}

export function subgraphUrlOverride(config: GatewayConfig, name: string): string | undefined {
  return config[subgraphUrlVariable(name) as keyof GatewayConfig] as string | undefined;
}

/** The auth service's base URL for internal (non-GraphQL) calls. */
export function authInternalUrl(config: GatewayConfig): string {
  if (config.AUTH_INTERNAL_URL) return config.AUTH_INTERNAL_URL.replace(/\/$/, '');
  if (config.SUBGRAPH_AUTH_URL) return new URL(config.SUBGRAPH_AUTH_URL).origin;
  return 'http://127.0.0.1:4001';
}

/** How many proxies of ours stand in front (TRUST_PROXY_HOPS, else 1 for TRUST_PROXY=true). */
export const trustedProxyHops = (config: GatewayConfig): number => config.TRUST_PROXY_HOPS ?? (config.TRUST_PROXY ? 1 : 0);

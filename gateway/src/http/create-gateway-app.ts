import { createHttpApp, type Infrastructure, type Logger, type Metrics } from '@app/platform/core';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { type GatewayConfig, trustedProxyHops } from '../config.js';
import { subgraphHealthChecks } from './subgraph-health-checks.js';

export interface GatewayAppOptions {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  infra: Infrastructure;
  /** Subgraphs whose readiness `/health` reports. */
  subgraphs: { name: string; url: string }[];
}

/** The gateway's Fastify app: the platform's (health, metrics, errors), CORS and cookies; no routes of its own yet. */
export async function createGatewayApp({ config, logger, metrics, infra, subgraphs }: GatewayAppOptions): Promise<FastifyInstance> {
  const app = createHttpApp({
    service: 'gateway',
    logger,
    metrics,
    trustProxyHops: trustedProxyHops(config),
    operatorToken: config.OPERATOR_TOKEN,
    // Longer than a subgraph's own checks (1 s), so its answer "database: timed out" arrives.
    healthCheckTimeoutMs: 2_500,
    healthChecks: {
      cache: () => infra.cache.health(),
      events: () => infra.bus.health(),
      ...subgraphHealthChecks(subgraphs),
    },
  });
  await app.register(cors, {
    origin: config.CORS_ORIGINS,
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id', 'Apollo-Require-Preflight', 'X-Apollo-Operation-Name'],
    exposedHeaders: ['X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'],
  });
  await app.register(cookie);
  return app;
}

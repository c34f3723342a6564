import type { ApolloServer } from '@apollo/server';
import type { EventBus } from '@app/events';
import type { Cache, Logger, TokenVerifier } from '@app/platform';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../../config.js';
import type { GatewayContext } from '../../server.js';
import type { CookieOptions } from '../rest/cookies.js';
import { registerLineLogin } from './login/register-line-login.js';
import { registerLineWebhook } from './webhook/register-line-webhook.js';

export interface LineFacadeOptions {
  config: GatewayConfig;
  apollo: ApolloServer<GatewayContext>;
  cache: Cache;
  bus: EventBus;
  verifier: TokenVerifier;
  logger: Logger;
  cookies: CookieOptions;
}

/**
 * Seed 002's LINE doors: LINE Login for the web app (`/api/auth/line/*`) and the Messaging API
 * webhook (`/line/webhook`). Unconfigured, each answers 503 saying which settings are missing.
 * Returns what must be stopped with the gateway (the webhook's consumer).
 */
export async function registerLineFacade(app: FastifyInstance, options: LineFacadeOptions): Promise<{ close(): Promise<void> }> {
  registerLineLogin(app, options);
  return registerLineWebhook(app, options);
}

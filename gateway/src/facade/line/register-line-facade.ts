import type { FastifyInstance } from 'fastify';
import type { LineFacadeOptions } from './line-facade-options.js';
import { registerLineLogin } from './login/register-line-login.js';
import { registerLineWebhook } from './webhook/register-line-webhook.js';

/**
 * Seed 002's LINE doors: LINE Login for the web app (`/api/auth/line/*`) and the Messaging API
 * webhook (`/line/webhook`). Unconfigured, each answers 503 saying which settings are missing.
 * Returns what must be stopped with the gateway (the webhook's consumer).
 */
export async function registerLineFacade(app: FastifyInstance, options: LineFacadeOptions): Promise<{ close(): Promise<void> }> {
  registerLineLogin(app, options);
  return registerLineWebhook(app, options);
}

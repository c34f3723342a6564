import type { ApolloServer } from '@apollo/server';
import type { EventBus } from '@app/events';
import type { Cache, Logger, TokenVerifier } from '@app/platform/core';
import type { GatewayConfig } from '../../config.js';
import type { GatewayContext } from '../../context.js';
import type { CookieOptions } from '../rest/cookies.js';

/** What the LINE doors (Login and the webhook) need from the gateway. */
export interface LineFacadeOptions {
  config: GatewayConfig;
  apollo: ApolloServer<GatewayContext>;
  cache: Cache;
  bus: EventBus;
  verifier: TokenVerifier;
  logger: Logger;
  cookies: CookieOptions;
}

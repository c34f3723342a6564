import type { BaseContext } from '@apollo/server';
import type { AuthContext, Logger, RequestScoped } from '@app/platform/core';
import type { FastifyRequest } from 'fastify';
import type { QuotaDecision } from './limits/quota-store.js';

/** What every operation the gateway runs carries: over HTTP, the REST facade, LINE and WebSocket alike. */
export interface GatewayContext extends BaseContext, RequestScoped {
  auth?: AuthContext;
  /** Set by seed004QuotaPlugin: the tightest seed 004 quota the operation counted against. */
  quota?: QuotaDecision;
  /** The client's address (TRUST_PROXY_HOPS applied), named to the auth service for its login throttle. */
  clientIp?: string;
}

/** The context of an operation an HTTP request runs, as `auth` (undefined: anonymous). */
export function requestContext(request: FastifyRequest, auth: AuthContext | undefined): GatewayContext {
  return { auth, requestId: request.requestId, logger: request.log as Logger, clientIp: request.ip };
}

import type { IncomingMessage } from 'node:http';
import { AppError, type AuthContext, clientAddress, ServiceUnavailableError, type TokenVerifier } from '@app/platform/core';
import { GraphQLError } from 'graphql';
import type { Context } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { connectionToken } from '../auth/connection-token.js';
import type { RateLimiter } from '../rate-limiter.js';
import { isUnavailable, refusal } from './error-result.js';

/** What a socket carries from connection_init on (graphql-ws's `extra`, with ours added). */
export interface ConnectionExtra {
  auth?: AuthContext;
  requestId: string;
  ip: string;
  socket: WebSocket;
  request: IncomingMessage;
}

export type SocketContext = Context<Record<string, unknown>, unknown>;

export const extraOf = (ctx: SocketContext) => ctx.extra as ConnectionExtra;

export interface ConnectionGuardOptions {
  verifier: TokenVerifier;
  /** Every socket opened by a signed-in client counts as one request, as over HTTP. */
  rateLimiter?: RateLimiter;
  /** Proxies of ours in front (`TRUST_PROXY_HOPS`). */
  trustProxyHops: number;
  /** Open sockets per client address; more are closed with 1013. */
  maxConnectionsPerIp: number;
}

export interface ConnectionGuard {
  /** graphql-ws's onConnect: false refuses the socket (4403) unless it was closed with its own code. */
  onConnect(ctx: SocketContext): Promise<boolean>;
  /** Before each operation: errors when the socket's token was revoked or expired since connection_init. */
  recheck(extra: ConnectionExtra): Promise<GraphQLError[] | undefined>;
}

/** The client's address, as the HTTP side computes it (Fastify with the same trusted hops). */
const clientIp = (request: IncomingMessage, hops: number) =>
  clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], hops);

/**
 * Who may hold a socket: a bound on open sockets per address (anonymous ones included), the
 * `connection_init` token checked and counted by the rate limiter, and the socket closed when
 * that token expires.
 */
export function connectionGuard(wss: WebSocketServer, options: ConnectionGuardOptions): ConnectionGuard {
  const { verifier, rateLimiter, trustProxyHops } = options;
  limitSocketsPerIp(wss, options);

  /** The token's check and its rate-limit count; false when the socket is refused. */
  const admit = async (extra: ConnectionExtra, token: string) => {
    try {
      try {
        extra.auth = await verifier.verify(token);
      } catch (err) {
        if (isUnavailable(err)) throw err;
        // A refused token counts against the address, as over HTTP (guessing tokens is throttled).
        await rateLimiter?.check({ ip: extra.ip });
        return false;
      }
      // Opening a socket counts as a request too (anonymous ones are bounded per address above).
      if (rateLimiter && !(await rateLimiter.check({ userId: extra.auth.userId, ip: extra.ip })).allowed) {
        extra.socket.close(4429, 'Too many requests');
        return false;
      }
      return true;
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      // The revocation list or the limiter cannot be asked: 1013 "Try Again Later" (RFC 6455), not a refusal of the token.
      extra.socket.close(1013, 'Service temporarily unavailable; try again later');
      return false;
    }
  };

  return {
    async onConnect(ctx) {
      const extra = extraOf(ctx);
      extra.requestId = crypto.randomUUID();
      extra.ip = clientIp(extra.request, trustProxyHops);
      const token = connectionToken(ctx.connectionParams);
      if (token === undefined) return true; // anonymous: public subscriptions only
      if (token === null) return false; // 4403 Forbidden
      if (!(await admit(extra, token))) return false;
      closeAtExpiry(extra.socket, extra.auth!.expiresAt);
      return true;
    },
    async recheck(extra) {
      // A token revoked (logout, user deleted) or expired since connection_init starts nothing more.
      if (!extra.auth) return undefined;
      try {
        await verifier.verify(extra.auth.token);
        return undefined;
      } catch (err) {
        // The revocation list unreachable (Redis down) is not the client's fault: refuse this operation only.
        if (!(err instanceof AppError && err.code === 'UNAUTHENTICATED')) return refusal(new ServiceUnavailableError());
        extra.socket.close(4403, 'Forbidden');
        return [new GraphQLError('Invalid or expired token', { extensions: { code: 'UNAUTHENTICATED' } })];
      }
    },
  };
}

/** Open sockets per client address: past the limit a socket is closed at once ("try again later"). */
function limitSocketsPerIp(wss: WebSocketServer, { trustProxyHops, maxConnectionsPerIp }: ConnectionGuardOptions) {
  const socketsPerIp = new Map<string, number>();
  wss.on('connection', (socket, request) => {
    const ip = clientIp(request, trustProxyHops);
    const open = (socketsPerIp.get(ip) ?? 0) + 1;
    socketsPerIp.set(ip, open);
    socket.once('close', () => {
      const left = (socketsPerIp.get(ip) ?? 1) - 1;
      if (left > 0) socketsPerIp.set(ip, left);
      else socketsPerIp.delete(ip);
    });
    if (open > maxConnectionsPerIp) socket.close(1013, 'Too many connections');
  });
}

/**
 * The socket lives no longer than its token: at expiry it is closed with 4403 (its streams end
 * even when no event comes); the client reconnects with a fresh token.
 */
function closeAtExpiry(socket: WebSocket, expiresAt: number) {
  const timer = setTimeout(
    () => socket.close(4403, 'Forbidden: token expired'),
    Math.min(Math.max(0, expiresAt * 1000 - Date.now()), 2 ** 31 - 1),
  );
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bearerToken } from '../security/token-verifier.js';

/** OPERATOR_TOKEN: the same rule and variable on every service (README "Operations"). */
export const operatorTokenEnv = {
  OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -base64 32)').optional(),
};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether a request may read what is for operators only (`/metrics`, the detailed `/health`).
 * With OPERATOR_TOKEN set: whoever presents it as `Authorization: Bearer <token>` (compared in
 * constant time), from anywhere. Without: only a client on this machine that came directly, not
 * through a proxy (no forwarding header), since a proxy on the same host makes every visitor
 * look local.
 */
export function isOperator(request: FastifyRequest, operatorToken: string | undefined): boolean {
  if (operatorToken) {
    const token = bearerToken(request.headers.authorization);
    return !!token && timingSafeEqual(digest(token), digest(operatorToken));
  }
  const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  return !forwarded && LOOPBACK.test(request.socket.remoteAddress ?? '');
}

/**
 * The client's address behind `hops` proxies of ours, as Fastify computes it with
 * `trustProxy: (address, hop) => hop < hops`: each proxy appends the address it got the request from to X-Forwarded-For, so the client is
 * `hops` entries from the right (counting the socket as the first). Entries further left are
 * whatever the client wrote, and are never believed.
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, hops: number): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  const chain = [
    socketAddress ?? 'unknown',
    ...header
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .reverse(),
  ];
  return chain[Math.min(hops, chain.length - 1)];
}

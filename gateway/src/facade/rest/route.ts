import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route receives after validation. */
export interface RouteInput<P = any, Q = any, B = any> {
  params: P;
  query: Q;
  body: B;
  cookies: Record<string, string | undefined>;
}

/**
 * One REST route = one named GraphQL operation plus the mapping of path, query and body onto its
 * variables. The same definition drives execution, validation and the OpenAPI document, so the
 * REST API and its documentation cannot drift apart.
 */
export interface RestRoute<P = any, Q = any, B = any> {
  method: HttpMethod;
  /** Fastify syntax: `/api/workouts/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** 'required': answered 401 before any work when no credentials come with the request. */
  auth: 'required' | 'none';
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The GraphQL operation run against the gateway (in process, no second HTTP hop). */
  operation: { name: string; document: string };
  variables: (input: RouteInput<P, Q, B>) => Record<string, unknown>;
  /** Success status; 204 sends no body. */
  status: 200 | 201 | 204 | 302;
  /** Shapes `data` into the response body (camelCase). Unused for 204. */
  result?: (data: any, input: RouteInput<P, Q, B>) => unknown;
  /** Documented response body (OpenAPI only). */
  response?: z.ZodType;
  /** Runs after a successful execution, before the body is sent (cookies, redirects). */
  after?: (data: any, reply: FastifyReply, input: RouteInput<P, Q, B>) => void | Promise<void>;
}

export const defineRoute = <P, Q, B>(route: RestRoute<P, Q, B>): RestRoute<P, Q, B> => route;

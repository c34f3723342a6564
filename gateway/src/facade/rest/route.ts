// biome-ignore-all lint/suspicious/noExplicitAny: a route's params, query, body and GraphQL data are typed by its own zod schemas and operation; the table's shared types default to any
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route receives after validation. */
export interface RouteInput<P = any, Q = any, B = any> {
  params: P;
  query: Q;
  body: B;
  cookies: Record<string, string | undefined>;
  /** The signed-in caller (verified token), when there is one. */
  userId?: string;
}

/** Runs another named operation as the same caller (for routes that need a second step). */
export type ExecuteOperation = (
  operation: { name: string; document: string },
  variables: Record<string, unknown>,
  /** anonymous: without the caller's token (e.g. after the account is gone). */
  options?: { anonymous?: boolean },
) => Promise<any>;

/** A response whose status or content depends on the data (202 vs 200, a picture instead of JSON). */
export interface RouteResponse {
  status: number;
  body?: unknown;
  /** Default application/json. */
  contentType?: string;
  headers?: Record<string, string>;
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
  status: 200 | 201 | 202 | 204 | 302;
  /** Shapes `data` into the response body (camelCase). Unused for 204. */
  result?: (data: any, input: RouteInput<P, Q, B>) => unknown;
  /** Documented response body (OpenAPI only). */
  response?: z.ZodType;
  /** Runs after a successful execution, before the body is sent (cookies, redirects). */
  after?: (data: any, reply: FastifyReply, input: RouteInput<P, Q, B>) => void | Promise<void>;
  /** Instead of `status` + `result`: decides the response itself, and may run further operations. */
  respond?: (data: any, input: RouteInput<P, Q, B>, execute: ExecuteOperation) => Promise<RouteResponse>;
  /** Other documented success responses (OpenAPI only), e.g. 202 of an erasure still running. */
  otherResponses?: Record<number, { description: string; schema?: z.ZodType }>;
  /** Media type of the success body (OpenAPI only). Default application/json. */
  produces?: string;
  /**
   * A seed 004 quota this route counts against itself, for a route whose operation reads only
   * fields no quota counts (`me`): the others are counted where their operation runs.
   */
  quota?: 'other';
}

export const defineRoute = <P, Q, B>(route: RestRoute<P, Q, B>): RestRoute<P, Q, B> => route;

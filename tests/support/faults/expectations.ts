import { expect } from 'vitest';
import type { GraphQLResult } from '../client.js';

/**
 * `promise`, or a failure after `ms`: a fault test's guard that nothing hangs past the platform's
 * time limits (an answer of any kind in time passes; what it says is checked by the caller).
 */
export function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** 503 with a Retry-After header, and every error SERVICE_UNAVAILABLE with a retryAfter. */
export function expectUnavailable(result: GraphQLResult) {
  expect(result.status, JSON.stringify(result.body)).toBe(503);
  expect(result.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(result.body.errors?.length).toBeGreaterThan(0);
  for (const error of result.body.errors ?? [])
    expect(error.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });
}

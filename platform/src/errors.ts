/**
 * Domain errors with stable codes. The code is what clients branch on: it becomes
 * GraphQL `extensions.code` and the REST body's `code`; the HTTP status follows seed 003's table.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  VALIDATION_ERROR: 'VALIDATION_ERROR',
  CONFLICT: 'CONFLICT',
  RATE_LIMIT_EXCEEDED: 'RATE_LIMIT_EXCEEDED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const httpStatusOf: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION_ERROR: 400,
  CONFLICT: 409,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra, client-safe details (become GraphQL extensions and REST `details`). */
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get httpStatus(): number {
    return httpStatusOf[this.code];
  }
}

export class UnauthenticatedError extends AppError {
  override name = 'UnauthenticatedError';
  constructor(message = 'Authentication required', options?: { cause?: unknown }) {
    super(ErrorCode.UNAUTHENTICATED, message, {}, options);
  }
}

export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  constructor(message = 'Insufficient permissions') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(what = 'Resource') {
    super(ErrorCode.NOT_FOUND, `${what} not found`);
  }
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(
    readonly validationErrors: FieldError[],
    message = 'Validation failed',
  ) {
    super(ErrorCode.VALIDATION_ERROR, message, { validationErrors });
  }
}

export class ConflictError extends AppError {
  override name = 'ConflictError';
  constructor(message: string, field?: string) {
    super(ErrorCode.CONFLICT, message, field ? { field } : {});
  }
}

export class RateLimitError extends AppError {
  override name = 'RateLimitError';
  constructor(
    readonly retryAfter: number,
    message = 'Too many requests',
  ) {
    super(ErrorCode.RATE_LIMIT_EXCEEDED, message, { retryAfter });
  }
}

/** What a client is told to wait before retrying after a dependency failed (seconds). */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** A dependency could not serve (or answer in time): 503 with `retryAfter` (and a Retry-After header). */
export class ServiceUnavailableError extends AppError {
  override name = 'ServiceUnavailableError';
  constructor(message = 'Service temporarily unavailable', options?: { cause?: unknown; retryAfter?: number }) {
    super(ErrorCode.SERVICE_UNAVAILABLE, message, { retryAfter: options?.retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS }, options);
  }
}

/** The Retry-After header value an error asks for, if any (rate limits and outages). */
export function retryAfterOf(err: AppError): number | undefined {
  const value = err.details.retryAfter;
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(1, Math.ceil(value)) : undefined;
}

/** Errors that mean "a dependency is down", so clients get 503 rather than 500. */
export function isUnavailableError(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown } | undefined;
  if (!e) return false;
  // fetch() (undici) reports a refused connection as "fetch failed" with the real error as its cause.
  if (e.cause && e.cause !== err && isUnavailableError(e.cause)) return true;
  // undici's own request (the gateway's subgraph pool): a socket closed or silent mid-exchange.
  if (/^UND_ERR_(SOCKET|CLOSED|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT)$/.test(String(e.code))) return true;
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '57014', '08006', '08001', '08003'].includes(
      String(e.code),
    )
  )
    return true;
  return (
    e.name === 'ConnectionException' ||
    e.name === 'TimeoutError' ||
    /Connection terminated|ECONNREFUSED|Connection is closed|fetch failed|socket hang up|timeout exceeded when trying to connect|Query read timeout|Command timed out|terminating connection|database system is (starting up|shutting down|in recovery mode)|statement timeout|aborted due to timeout/i.test(
      e.message ?? '',
    )
  );
}

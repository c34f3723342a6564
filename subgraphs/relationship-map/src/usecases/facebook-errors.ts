import { AppError, ErrorCode } from '@app/platform';
import { FacebookTokenError, FacebookUnavailableError } from '../facebook/index.js';

/** Seed 004's error codes, as `extensions.reason` under the platform's codes. */
export const FacebookReason = {
  API_ERROR: 'FACEBOOK_API_ERROR',
  CONNECTION_FAILED: 'FACEBOOK_CONNECTION_FAILED',
  NOT_CONFIGURED: 'FACEBOOK_NOT_CONFIGURED',
} as const;

export const facebookNotConfigured = () =>
  new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'Facebook integration is not configured on this server (FACEBOOK_GRAPH_URL is not set)', {
    reason: FacebookReason.NOT_CONFIGURED,
  });

export const facebookUnavailable = (cause?: unknown) =>
  new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'Facebook did not answer; try again later', { reason: FacebookReason.API_ERROR }, { cause });

/** The token cannot be used (bad, expired, revoked): the user has to connect again. */
export const facebookConnectionFailed = (message: string) =>
  new AppError(ErrorCode.VALIDATION_ERROR, message, {
    reason: FacebookReason.CONNECTION_FAILED,
    validationErrors: [{ field: 'accessToken', message }],
  });

/** Facebook's own errors in the platform's terms; anything else is rethrown as it is. */
export function fromFacebookError(err: unknown): never {
  if (err instanceof FacebookTokenError)
    throw facebookConnectionFailed('Facebook refused the access token (invalid or expired): connect Facebook again');
  if (err instanceof FacebookUnavailableError) throw facebookUnavailable(err);
  throw err;
}

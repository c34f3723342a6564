/** What the map needs from Facebook, and the two ways a Facebook call can fail. */

/** Totals over a window: the owner's own posts, and the reactions and comments on them. */
export interface FacebookActivity {
  posts: number;
  reactions: number;
  comments: number;
}

export interface FacebookClient {
  /** Checks the token with Facebook; the app-scoped id of the user it belongs to. */
  verifyToken(accessToken: string): Promise<{ facebookUserId: string }>;
  /** The token owner's own posts created in [since, until), and the reactions and comments on them (totals). Reads no names and no content. */
  countActivity(accessToken: string, window: { since: Date; until: Date }): Promise<FacebookActivity>;
}

/** What Facebook said about a failure (never the token, never Facebook's free-text message). */
export interface FacebookErrorDetails {
  /** Graph API `error.code`, e.g. 190. */
  facebookCode?: number;
  /** Graph API `error.error_subcode`, e.g. 463. */
  facebookSubcode?: number;
  /** Graph API `error.fbtrace_id`: what Facebook support asks for. */
  fbtraceId?: string;
  /** HTTP status of Facebook's answer, when there was one. */
  httpStatus?: number;
}

/** The token is invalid, expired, revoked or lacks permission: the user must connect again. */
export class FacebookTokenError extends Error {
  override name = 'FacebookTokenError';
  readonly code = 'FACEBOOK_CONNECTION_FAILED';
  readonly facebookCode: number | undefined;
  readonly facebookSubcode: number | undefined;
  readonly fbtraceId: string | undefined;
  readonly httpStatus: number | undefined;
  constructor(message: string, details: FacebookErrorDetails = {}) {
    super(message);
    this.facebookCode = details.facebookCode;
    this.facebookSubcode = details.facebookSubcode;
    this.fbtraceId = details.fbtraceId;
    this.httpStatus = details.httpStatus;
  }
}

/** Facebook could not answer: network error, time limit, 5xx, rate limited, or a malformed answer. */
export class FacebookUnavailableError extends Error {
  override name = 'FacebookUnavailableError';
  readonly code = 'FACEBOOK_API_ERROR';
  readonly facebookCode: number | undefined;
  readonly facebookSubcode: number | undefined;
  readonly fbtraceId: string | undefined;
  readonly httpStatus: number | undefined;
  constructor(message: string, details: FacebookErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.facebookCode = details.facebookCode;
    this.facebookSubcode = details.facebookSubcode;
    this.fbtraceId = details.fbtraceId;
    this.httpStatus = details.httpStatus;
  }
}

import { type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';

export const LINE_ISSUER = 'https://access.line.me';

/** The ID token failed a check; `message` says which, without echoing the token. */
export class LineIdTokenError extends Error {
  override name = 'LineIdTokenError';
}

export interface LineIdentity {
  /** LINE user id: 'U' + 32 lowercase hex, the same id the Messaging API webhook carries. */
  sub: string;
  email?: string;
  name?: string;
  /** The LINE profile picture (https). */
  picture?: string;
}

const claims = z.object({
  sub: z.string().regex(/^U[0-9a-f]{32}$/),
  nonce: z.string().optional(),
  name: z.string().optional(),
  picture: z.string().optional(),
  email: z.string().optional(),
});
const picture = z.url({ protocol: /^https$/ }).max(2048);
const email = z.string().max(254).pipe(z.email());

/**
 * Verifies an ID token from LINE's web login as LINE documents it: HS256 keyed with the channel
 * secret (the algorithm pinned, so `none` or an ES256 header cannot change the check), `iss`
 * https://access.line.me, `aud` = our channel id, `exp`, and `nonce` equal to the one of the
 * authorize request (a replayed token carries another).
 */
export async function verifyLineIdToken(
  idToken: string,
  expected: { channelId: string; channelSecret: string; nonce: string },
): Promise<LineIdentity> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, new TextEncoder().encode(expected.channelSecret), {
      algorithms: ['HS256'],
      issuer: LINE_ISSUER,
      audience: expected.channelId,
      requiredClaims: ['sub', 'iat', 'exp'],
      clockTolerance: 5,
    }));
  } catch (err) {
    throw new LineIdTokenError(`the ID token ${whyInvalid(err)}`);
  }
  const parsed = claims.safeParse(payload);
  if (!parsed.success) throw new LineIdTokenError('the ID token has no valid LINE user id');
  if (parsed.data.nonce !== expected.nonce) throw new LineIdTokenError('the ID token was issued for another login (nonce mismatch)');
  const verifiedEmail = email.safeParse(parsed.data.email);
  const verifiedPicture = picture.safeParse(parsed.data.picture);
  return {
    sub: parsed.data.sub,
    name: parsed.data.name,
    picture: verifiedPicture.success ? verifiedPicture.data : undefined,
    email: verifiedEmail.success ? verifiedEmail.data.toLowerCase() : undefined,
  };
}

function whyInvalid(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `has a wrong "${err.claim}" claim`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'has an invalid signature';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'is not signed with HS256';
  return 'is malformed';
}

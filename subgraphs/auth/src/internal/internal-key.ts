import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '@app/platform';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether a header is `Bearer <INTERNAL_API_KEY>`. Same-length digests compared in constant
 * time: neither the key nor its length leaks through timing.
 */
export function internalKeyMatches(header: string | string[] | undefined, key: string | undefined): boolean {
  if (!key || typeof header !== 'string') return false;
  const presented = bearerToken(header);
  return !!presented && timingSafeEqual(digest(presented), digest(key));
}

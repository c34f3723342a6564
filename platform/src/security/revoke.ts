import { type EventBus, type PayloadOf, Subjects } from '@app/events';
import type { Cache } from '../cache/cache.js';
import { cacheKeys } from '../cache/cache-keys.js';
import type { Logger } from '../observability/logger.js';
import { withTimeout } from '../with-timeout.js';

/** What auth revokes: see the `security.revocation.added` payload. */
export type Revocation = Omit<PayloadOf<typeof Subjects.SecurityRevocationAdded>, 'revision'>;

/** The counter is state like the markers; should it expire anyway, every list reloads once. */
const REVISION_TTL_SECONDS = 30 * 86_400;
/** Longest wait for the bus to confirm the broadcast: past it every list still finds the revocation by its revision. */
const CONFIRM_TIMEOUT_MS = 1_000;

const markerKey = ({ kind, id }: Revocation) =>
  kind === 'token' ? cacheKeys.blacklist(id) : kind === 'session' ? cacheKeys.revokedSession(id) : cacheKeys.revokedUser(id);

/**
 * The one way to revoke (auth's logout, ended sessions, erasure): the marker goes to the shared
 * cache, the truth every TokenVerifier falls back to; then the revision counter (after the
 * marker, so a RevocationList that reads the revision finds the marker in a reload); then the
 * broadcast, confirmed, that puts it in every RevocationList's memory at once.
 *
 * A marker that cannot be written throws: nothing was revoked. A count that fails throws too,
 * after the broadcast: the revocation holds, but a list that misses the broadcast would only find
 * it at its next full reload, and the caller must hear that. A broadcast that fails is only
 * logged: every list notices the missing revision within its staleness bound.
 */
export async function revoke(deps: { cache: Cache; bus: EventBus; logger?: Logger }, revocation: Revocation): Promise<void> {
  const { cache, bus, logger } = deps;
  await cache.set(markerKey(revocation), revocation.kind === 'token' ? '1' : String(revocation.revokedAt), revocation.ttlSeconds);
  let countFailure: unknown;
  const revision = await cache.incr(cacheKeys.revocationRevision(), REVISION_TTL_SECONDS).catch((err: unknown) => {
    countFailure = err;
    return null;
  });
  try {
    await withTimeout(
      bus.broadcast(Subjects.SecurityRevocationAdded, { ...revocation, revision }, { confirm: true }),
      CONFIRM_TIMEOUT_MS,
      () => new Error(`the bus did not confirm within ${CONFIRM_TIMEOUT_MS} ms`),
    );
  } catch (err) {
    logger?.warn({ err: (err as Error).message, kind: revocation.kind, revision }, 'revocation written but its broadcast failed');
  }
  if (countFailure !== undefined) throw countFailure;
}

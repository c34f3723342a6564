import { ADMIN_SCOPE, isUniqueViolation } from '@app/platform';
import { passwordCost } from '../config.js';
import type { AuthDeps } from '../deps.js';
import { RefreshToken, User } from '../entities/index.js';
import { hashPassword, needsRehash, verifyPassword } from '../passwords.js';
import { endSession } from './end-session.js';

/**
 * The admin account of ADMIN_USERNAME / ADMIN_PASSWORD (both set), at start:
 * - absent: created, with the admin scope;
 * - present and an admin: kept, and ADMIN_PASSWORD stays its password. There is no other way to
 *   change an admin's password, so a changed ADMIN_PASSWORD replaces it and ends the admin's
 *   sessions (whoever knew the old one is signed out);
 * - present and an ordinary account: never promoted, since anyone could have registered that
 *   name. It is left as it is, the start goes on without an admin, and says so loudly.
 */
export async function bootstrapAdmin(deps: AuthDeps): Promise<void> {
  const { ADMIN_USERNAME: username, ADMIN_PASSWORD: password } = deps.config;
  if (!username || !password) return;
  const existing = await deps.em.fork().findOne(User, { usernameKey: username.toLowerCase() });
  if (!existing) return createAdmin(deps, username, password);
  if (!existing.scopes.split(' ').includes(ADMIN_SCOPE)) {
    deps.logger.warn(
      { username },
      `ADMIN_USERNAME "${username}" is an ordinary account someone registered: it was NOT given the admin scope, and no admin account was set up. Choose an ADMIN_USERNAME that no account has.`,
    );
    return;
  }
  await keepAdminPassword(deps, existing, password);
}

async function createAdmin(deps: AuthDeps, username: string, password: string): Promise<void> {
  const em = deps.em.fork();
  const usernameKey = username.toLowerCase();
  em.create(User, {
    username,
    usernameKey,
    email: (deps.config.ADMIN_EMAIL ?? `${usernameKey}@admin.invalid`).toLowerCase(),
    passwordHash: await hashPassword(password, passwordCost(deps.config)),
    scopes: `user ${ADMIN_SCOPE}`,
  });
  try {
    await em.flush();
    deps.logger.info({ username }, 'admin account created');
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Another replica created it at the same moment: what it made is judged like any existing account.
    const raced = await deps.em.fork().findOne(User, { usernameKey });
    if (raced) {
      if (!raced.scopes.split(' ').includes(ADMIN_SCOPE))
        deps.logger.warn({ username }, `ADMIN_USERNAME "${username}" was just registered by someone else: no admin account was set up.`);
      return;
    }
    deps.logger.warn(
      { username },
      'ADMIN_EMAIL already belongs to another account: no admin account was set up. Choose another ADMIN_EMAIL.',
    );
  }
}

async function keepAdminPassword(deps: AuthDeps, admin: User, password: string): Promise<void> {
  const cost = passwordCost(deps.config);
  const matches = !!admin.passwordHash && (await verifyPassword(password, admin.passwordHash));
  if (matches && !needsRehash(admin.passwordHash!, cost)) return;
  const em = deps.em.fork();
  await em.nativeUpdate(User, { id: admin.id }, { passwordHash: await hashPassword(password, cost) });
  if (matches) return; // only the hash's scheme or cost changed
  const rows = await em.find(RefreshToken, { userId: admin.id, revokedAt: null, expiresAt: { $gt: new Date() } }, { fields: ['familyId'] });
  const sessions = new Set(rows.map((row) => row.familyId));
  for (const familyId of sessions) await endSession(deps, familyId);
  deps.logger.warn(
    { username: admin.username, sessionsEnded: sessions.size },
    'the admin password was set to ADMIN_PASSWORD; its earlier sessions were ended',
  );
}

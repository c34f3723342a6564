import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import { hashPassword } from '../passwords.js';

/**
 * Creates the admin account from ADMIN_USERNAME / ADMIN_PASSWORD when both are set. An existing
 * account of that name keeps its password and is given the admin scope.
 */
export async function bootstrapAdmin(deps: AuthDeps): Promise<void> {
  const { ADMIN_USERNAME: username, ADMIN_PASSWORD: password, ADMIN_EMAIL } = deps.config;
  if (!username || !password) return;
  const em = deps.em.fork();
  const usernameKey = username.toLowerCase();
  const existing = await em.findOne(User, { usernameKey });
  if (existing) {
    if (!existing.scopes.split(' ').includes('admin')) {
      existing.scopes = `${existing.scopes} admin`.trim();
      await em.flush();
    }
    return;
  }
  em.create(User, {
    username,
    usernameKey,
    email: (ADMIN_EMAIL ?? `${usernameKey}@admin.invalid`).toLowerCase(),
    passwordHash: await hashPassword(password, deps.config.SCRYPT_COST),
    scopes: 'user admin',
  });
  try {
    await em.flush();
    deps.logger.info({ username }, 'admin account created');
  } catch (err) {
    // Another replica created it at the same moment.
    if (!(await deps.em.fork().findOne(User, { usernameKey }))) throw err;
  }
}

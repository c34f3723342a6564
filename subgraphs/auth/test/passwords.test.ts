import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDecoyHash, hashPassword, needsRehash, verifyPassword } from '../src/passwords.js';

const cheap = { memory: 1024, passes: 1 };

describe('password hashes', () => {
  it('argon2id: the right password verifies, a wrong one does not, and NFKC forms are one password', async () => {
    const stored = await hashPassword('ｐａｓｓ-word-1', cheap);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await verifyPassword('pass-word-1', stored)).toBe(true);
    expect(await verifyPassword('pass-word-2', stored)).toBe(false);
  });

  it('a legacy scrypt hash verifies and asks to be replaced; so does argon2id at another cost', async () => {
    const salt = randomBytes(16);
    const legacy = [
      'scrypt',
      1024,
      8,
      1,
      salt.toString('base64url'),
      scryptSync('legacy-pass-1', salt, 64, { N: 1024, r: 8, p: 1 }).toString('base64url'),
    ].join('$');
    expect(await verifyPassword('legacy-pass-1', legacy)).toBe(true);
    expect(await verifyPassword('legacy-pass-2', legacy)).toBe(false);
    expect(needsRehash(legacy, cheap)).toBe(true);
    expect(needsRehash(await hashPassword('x-1', cheap), cheap)).toBe(false);
    expect(needsRehash(await hashPassword('x-1', cheap), { memory: 2048, passes: 1 })).toBe(true);
  });

  it('anything else never verifies', async () => {
    for (const stored of ['', 'plain-text', '$argon2id$v=19$m=1024,t=1,p=1$$', 'scrypt$x$y$z$$'])
      expect(await verifyPassword('plain-text', stored)).toBe(false);
  });

  it('the decoy is an argon2id hash at the configured cost that nothing matches', async () => {
    const decoy = await createDecoyHash(cheap);
    expect(needsRehash(decoy, cheap)).toBe(false);
    expect(await verifyPassword('', decoy)).toBe(false);
  });
});

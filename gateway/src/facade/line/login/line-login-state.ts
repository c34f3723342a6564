import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Cache } from '@app/platform/core';

/** How long a LINE Login may take between the redirect to LINE and the callback (seconds). */
export const LINE_LOGIN_TTL_SECONDS = 600;

/** What one login attempt keeps server-side until its callback: never sent to the browser. */
export interface PendingLineLogin {
  nonce: string;
  codeVerifier: string;
  /** SHA-256 of the browser binding cookie: a callback from another browser does not match. */
  bindingHash: string;
}

const key = (state: string) => `line-login:${state}`;
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const random = (bytes: number) => randomBytes(bytes).toString('base64url');

/** A fresh attempt: state, nonce, a PKCE verifier (86 characters) and its S256 challenge, and the browser binding. */
export function newLineLogin() {
  const codeVerifier = random(64);
  return { state: random(32), nonce: random(32), codeVerifier, codeChallenge: sha256(codeVerifier), binding: random(32) };
}

export async function savePendingLogin(cache: Cache, state: string, pending: PendingLineLogin): Promise<void> {
  await cache.set(key(state), JSON.stringify(pending), LINE_LOGIN_TTL_SECONDS);
}

/**
 * The attempt of `state` if it exists, has not expired or been used, and belongs to this browser;
 * it is used up by this call (a second callback with the same state finds nothing). A foreign
 * browser's callback does not use it up, so it cannot spoil the owner's login.
 */
export async function takePendingLogin(cache: Cache, state: string, binding: string | undefined): Promise<PendingLineLogin | null> {
  if (!/^[\w-]{16,128}$/.test(state) || !binding) return null;
  const raw = await cache.get(key(state));
  if (!raw) return null;
  const pending = JSON.parse(raw) as PendingLineLogin;
  const expected = Buffer.from(pending.bindingHash);
  const actual = Buffer.from(sha256(binding));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  // Only one of two racing callbacks deletes the key: that one wins.
  return (await cache.del(key(state))) === 1 ? pending : null;
}

export const bindingHashOf = sha256;

// Token verification (with the revocations kept in memory), revoking, and encryption at rest.

export * from './aes-gcm.js';
export { RevocationList, type RevocationListOptions } from './revocation-list.js';
export { type Revocation, revoke } from './revoke.js';
export * from './token-verifier.js';

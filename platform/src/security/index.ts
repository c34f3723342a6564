// Token verification and encryption at rest.

export * from './aes-gcm.js';
export * from './token-verifier.js';

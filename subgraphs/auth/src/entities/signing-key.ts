import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { JWK } from 'jose';
import type { StoredPrivateJwk } from '../keys/private-key-cipher.js';

/** An ES256 key pair. The newest unretired key signs; retired keys stay in the JWKS until tokens they signed expire. */
export const SigningKey = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_keys',
  properties: {
    kid: p.string().length(64).primary(),
    alg: p.string().length(16),
    publicJwk: p.json<JWK>(),
    /** Encrypted (AES-256-GCM, see keys/private-key-cipher.ts) when SIGNING_KEY_ENCRYPTION_KEY is set. */
    privateJwk: p.json<StoredPrivateJwk>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    retiredAt: p.datetime().nullable(),
  },
});
export type SigningKey = InferEntity<typeof SigningKey>;

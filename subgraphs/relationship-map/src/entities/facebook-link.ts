import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * A user's Facebook link. The token is kept only encrypted (AES-256-GCM); after a disconnect the
 * row keeps nothing but the time of the disconnect.
 */
export const FacebookLink = defineEntity({
  name: 'FacebookLink',
  tableName: 'facebook_links',
  properties: {
    userId: p.uuid().primary(),
    facebookUserId: p.string().length(64).nullable(),
    encryptedToken: p.text().nullable(),
    connectedAt: p.datetime().nullable(),
    disconnectedAt: p.datetime().nullable(),
  },
});
export type FacebookLink = InferEntity<typeof FacebookLink>;

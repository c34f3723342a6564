import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

export const Profile = defineEntity({
  name: 'Profile',
  tableName: 'profiles',
  properties: {
    /** The account's id, issued by the auth service. */
    userId: p.uuid().primary(),
    firstName: p.string().length(100).nullable(),
    lastName: p.string().length(100).nullable(),
    displayName: p.string().length(100).nullable(),
    pictureUrl: p.string().length(2048).nullable(),
    locale: p.string().length(35),
    facebookUserId: p.string().length(64).nullable(),
    initializedAt: p.datetime().nullable(),
    lastLoginAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Profile = InferEntity<typeof Profile>;

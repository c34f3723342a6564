import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** How a user's maps are drawn. No row: the defaults (a row is written when the user changes them). */
export const MapPreferences = defineEntity({
  name: 'MapPreferences',
  tableName: 'map_preferences',
  properties: {
    userId: p.uuid().primary(),
    maxNodes: p.integer(),
    updateFrequency: p.string().length(16),
    displayMode: p.string().length(16),
    updatedAt: p.datetime(),
  },
});
export type MapPreferences = InferEntity<typeof MapPreferences>;

import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { Distance } from '../svg/map-geometry.js';

export type { Distance };

export interface StoredMapNode {
  id: string;
  label: string;
  customLabel: string | null;
  position: { x: number; y: number; distance: Distance };
  color: string;
  observationText: string;
}

export interface MapBasis {
  facebookSignals: boolean;
  userHints: boolean;
  randomJitter: boolean;
}

/** A generated map, as it was generated (later changes of preferences or signals do not move it). */
export const RelationshipMap = defineEntity({
  name: 'RelationshipMap',
  tableName: 'relationship_maps',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    userId: p.uuid(),
    generatedAt: p.datetime().onCreate(() => new Date()),
    seed: p.string().length(128),
    nodes: p.json<StoredMapNode[]>(),
    basis: p.json<MapBasis>(),
  },
  indexes: [{ properties: ['userId', 'generatedAt'] }],
});
export type RelationshipMap = InferEntity<typeof RelationshipMap>;

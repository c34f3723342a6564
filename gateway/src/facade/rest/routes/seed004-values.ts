import { z } from 'zod';

/**
 * Seed 004 writes enum values in lower case ("near", "label_emphasis"); GraphQL in upper case.
 * One pair of helpers for every seed-004 route, in both directions.
 */
export const lower = (value: string) => value.toLowerCase();
export const upper = <T extends string | null | undefined>(value: T) => (typeof value === 'string' ? value.toUpperCase() : value);

export const seedEnum = <const T extends readonly [string, ...string[]]>(name: string, values: T) =>
  z.enum(values, { message: `${name} must be one of ${values.join(', ')}` });

export const distance = seedEnum('userHint', ['near', 'mid', 'far']);
export const updateFrequency = seedEnum('updateFrequency', ['startup', 'daily', 'manual']);
export const displayMode = seedEnum('displayMode', ['minimal', 'label_emphasis']);
const signalLevel = z.enum(['low', 'medium', 'high']);

export const PREFERENCES_FIELDS = 'maxNodes updateFrequency displayMode';
export const preferences = z.object({ maxNodes: z.number().int(), updateFrequency, displayMode });
export const toPreferences = (p: { maxNodes: number; updateFrequency: string; displayMode: string }) => ({
  maxNodes: p.maxNodes,
  updateFrequency: lower(p.updateFrequency),
  displayMode: lower(p.displayMode),
});

export const signals = z.object({
  activityVolume: z.enum(['low', 'moderate', 'high']),
  reactionCount: signalLevel,
  commentCount: signalLevel,
  postCount: signalLevel,
});

export const NODE_FIELDS = 'id label customLabel position { x y distance } color observationText';
export const mapNode = z.object({
  id: z.string(),
  label: z.string(),
  customLabel: z.string().nullable(),
  position: z.object({ x: z.number(), y: z.number(), distance }),
  color: z.string().regex(/^#[0-9a-f]{6}$/i),
  observationText: z.string(),
});
type NodeData = { position: { distance: string } } & Record<string, unknown>;
export const toMapNode = (node: NodeData & { position: Record<string, unknown> }) => ({
  ...node,
  position: { ...node.position, distance: lower(node.position.distance) },
});

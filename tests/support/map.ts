/** Shared pieces of the relationship-map system tests: operations, node lists and row counts. */
import type pg from 'pg';

export const NODE_FIELDS = 'id label customLabel position { x y distance } color observationText';
export const MAP_FIELDS = `id generatedAt seed svgUrl nodes { ${NODE_FIELDS} } basis { facebookSignals userHints randomJitter }`;
export const GENERATE = `mutation GenerateMap($input: GenerateMapInput!) { generateMap(input: $input) { ${MAP_FIELDS} } }`;
export const MAP = `query Map($id: ID!) { relationshipMap(id: $id) { ${MAP_FIELDS} svg } }`;
export const PREFERENCES = `query Prefs { me { mapPreferences { maxNodes updateFrequency displayMode updatedAt } } }`;
export const UPDATE_PREFERENCES = `mutation UpdatePrefs($input: UpdateMapPreferencesInput!) { updateMapPreferences(input: $input) { maxNodes updateFrequency displayMode updatedAt } }`;
export const DELETE_ALL = `mutation { deleteAllData }`;

export type Hint = 'NEAR' | 'MID' | 'FAR' | null;

/** `count` nodes with Japanese labels; hints cycle through the given list. */
export function nodes(count: number, hints: Hint[] = [null]) {
  const labels = ['家族', '親友A', '同僚', '恋人', '母', '父', '兄', '幼なじみ', '上司', '先輩', '後輩', 'サークル'];
  return Array.from({ length: count }, (_, i) => ({
    id: `node-${i + 1}`,
    label: labels[i % labels.length],
    customLabel: i % 3 === 0 ? `${labels[i % labels.length]}さん` : null,
    userHint: hints[i % hints.length],
  }));
}

/** Every row of the user in the relationship-map schema, table by table. */
export async function relationshipMapRows(db: pg.Pool, userId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['map_preferences', 'facebook_links', 'aggregate_signals', 'relationship_maps']) {
    const { rows } = await db.query(`select count(*)::int as n from relationship_map.${table} where user_id = $1`, [userId]);
    counts[table] = rows[0].n;
  }
  return counts;
}

export const NO_ROWS = { map_preferences: 0, facebook_links: 0, aggregate_signals: 0, relationship_maps: 0 };

import type { MapPreferences } from '../entities/index.js';

export const UPDATE_FREQUENCIES = ['STARTUP', 'DAILY', 'MANUAL'] as const;
export const DISPLAY_MODES = ['MINIMAL', 'LABEL_EMPHASIS'] as const;
export const MAX_NODES_CHOICES = [6, 9, 12] as const;

export interface PreferencesView {
  maxNodes: number;
  updateFrequency: (typeof UPDATE_FREQUENCIES)[number];
  displayMode: (typeof DISPLAY_MODES)[number];
  /** Null while they are the defaults nobody changed. */
  updatedAt: Date | null;
}

/** Seed 004's defaults: what every account has until it changes them. */
export const DEFAULT_PREFERENCES: PreferencesView = { maxNodes: 12, updateFrequency: 'DAILY', displayMode: 'MINIMAL', updatedAt: null };

export const toPreferencesView = (row: MapPreferences | null): PreferencesView =>
  row
    ? {
        maxNodes: row.maxNodes,
        updateFrequency: row.updateFrequency as PreferencesView['updateFrequency'],
        displayMode: row.displayMode as PreferencesView['displayMode'],
        updatedAt: row.updatedAt,
      }
    : DEFAULT_PREFERENCES;

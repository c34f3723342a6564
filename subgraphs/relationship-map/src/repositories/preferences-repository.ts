import type { EntityManager } from '@mikro-orm/postgresql';
import { MapPreferences } from '../entities/index.js';

export interface PreferencesValues {
  maxNodes: number;
  updateFrequency: string;
  displayMode: string;
}

export class PreferencesRepository {
  constructor(private readonly em: EntityManager) {}

  find(userId: string): Promise<MapPreferences | null> {
    return this.em.findOne(MapPreferences, { userId });
  }

  /** Writes the whole set (one statement, so two updates at once cannot interleave). */
  async save(userId: string, values: PreferencesValues): Promise<MapPreferences> {
    return this.em.upsert(MapPreferences, { userId, ...values, updatedAt: new Date() }, { onConflictFields: ['userId'] });
  }

  deleteForUser(userId: string): Promise<number> {
    return this.em.nativeDelete(MapPreferences, { userId });
  }
}

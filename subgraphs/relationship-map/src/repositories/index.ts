import type { EntityManager } from '@mikro-orm/postgresql';
import { FacebookLinkRepository } from './facebook-link-repository.js';
import { MapRepository } from './map-repository.js';
import { PreferencesRepository } from './preferences-repository.js';
import { SignalRepository } from './signal-repository.js';

export { FacebookLinkRepository, MapRepository, PreferencesRepository, SignalRepository };

/** The repositories over one EntityManager (a fork, or a transaction's). */
export function repositories(em: EntityManager) {
  return {
    preferences: new PreferencesRepository(em),
    links: new FacebookLinkRepository(em),
    signals: new SignalRepository(em),
    maps: new MapRepository(em),
  };
}

import { defineOutboxMessage } from '@app/platform';
import { AggregateSignal } from './aggregate-signal.js';
import { FacebookLink } from './facebook-link.js';
import { MapPreferences } from './map-preferences.js';
import { RelationshipMap } from './relationship-map.js';

export type { Distance, MapBasis, StoredMapNode } from './relationship-map.js';
export { AggregateSignal, FacebookLink, MapPreferences, RelationshipMap };
/** This service's outbox: its events, written in the transaction of the change they announce (see @app/platform). */
export const OutboxMessage = defineOutboxMessage();
export const entities = [MapPreferences, FacebookLink, AggregateSignal, RelationshipMap, OutboxMessage];

import { migrations } from '../migrations/index.js';
import { entities } from './entities/index.js';

/** What `openDatabase` and `npm run migration:create` need to know about this service's tables. */
export const database = { entities, migrations };

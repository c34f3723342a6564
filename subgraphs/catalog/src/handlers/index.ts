import { Subjects, type Subscription } from '@app/events';
import type { CatalogDeps } from '../deps.js';
import { commitInventory } from '../usecases/commit-inventory.js';
import { handleInventoryCommand } from '../usecases/handle-inventory-command.js';
import { releaseInventory } from '../usecases/release-inventory.js';
import { reserveInventory } from '../usecases/reserve-inventory.js';

/** Durable consumer names: shared by the catalog replicas, so each command is handled by one of them. */
export const INVENTORY_DURABLES = {
  reserve: 'catalog-inventory-reserve',
  release: 'catalog-inventory-release',
  commit: 'catalog-inventory-commit',
} as const;

/** NATS -> use cases: inventory as a participant of the order saga. */
export async function subscribeHandlers(deps: CatalogDeps): Promise<Subscription[]> {
  return Promise.all([
    deps.bus.subscribe(Subjects.CatalogInventoryReserve, (e) => handleInventoryCommand(deps, e, reserveInventory), {
      durable: INVENTORY_DURABLES.reserve,
    }),
    deps.bus.subscribe(Subjects.CatalogInventoryRelease, (e) => handleInventoryCommand(deps, e, releaseInventory), {
      durable: INVENTORY_DURABLES.release,
    }),
    deps.bus.subscribe(
      Subjects.CatalogInventoryCommit,
      (e) => handleInventoryCommand(deps, e, (tx, c) => commitInventory(tx, c, deps.logger)),
      {
        durable: INVENTORY_DURABLES.commit,
      },
    ),
  ]);
}

import { type InventoryCommandSubject, Subjects, type Subscription } from '@app/events';
import type { CatalogDeps } from '../deps.js';
import { commitInventory } from '../usecases/commit-inventory.js';
import { handleInventoryCommand, type InventoryStep } from '../usecases/handle-inventory-command.js';
import { releaseInventory } from '../usecases/release-inventory.js';
import { reserveInventory } from '../usecases/reserve-inventory.js';

/** Durable consumer names: shared by the catalog replicas, so each command is handled by one of them. */
export const INVENTORY_DURABLES = {
  reserve: 'catalog-inventory-reserve',
  release: 'catalog-inventory-release',
  commit: 'catalog-inventory-commit',
} as const;

/**
 * Competing subscribers per inventory durable in each replica: commands of different orders are
 * handled side by side (rows are locked in product id order, so they queue on a shared product
 * rather than deadlock), so one slow transaction does not hold up every order behind it.
 */
const INVENTORY_HANDLERS = 4;

/** NATS -> use cases: inventory as a participant of the order saga. */
export async function subscribeHandlers(deps: CatalogDeps): Promise<Subscription[]> {
  const handlers = <S extends InventoryCommandSubject>(subject: S, durable: string, step: InventoryStep<S>) =>
    Array.from({ length: INVENTORY_HANDLERS }, () =>
      deps.bus.subscribe(subject, (e) => handleInventoryCommand(deps, e, step), { durable }),
    );
  return Promise.all([
    ...handlers(Subjects.CatalogInventoryReserve, INVENTORY_DURABLES.reserve, reserveInventory),
    ...handlers(Subjects.CatalogInventoryRelease, INVENTORY_DURABLES.release, releaseInventory),
    ...handlers(Subjects.CatalogInventoryCommit, INVENTORY_DURABLES.commit, commitInventory(deps.logger)),
  ]);
}

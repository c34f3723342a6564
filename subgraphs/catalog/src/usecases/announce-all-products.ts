import type { CatalogDeps } from '../deps.js';
import { Product } from '../entities/index.js';
import { publishProductUpserted } from './announce.js';

const PAGE = 500;

/**
 * Publishes `catalog.product.upserted` for every product, at start: a read model created after
 * products were (the orders service deployed later, or one whose events have aged out of the
 * stream) converges without a manual step. Upserts are idempotent for their consumers, and the
 * message id (product id + updatedAt) lets the bus drop repeats within its dedupe window.
 *
 * Published directly, not through the outbox: it is a best-effort refresh of what every product
 * write already announced through the outbox (and each start runs it again), so a publish that
 * fails (the bus down) loses nothing that is not repeated; it only stops this run.
 */
export async function announceAllProducts(deps: CatalogDeps, stopped: () => boolean = () => false): Promise<number> {
  const em = deps.em.fork();
  let announced = 0;
  let lastId: string | undefined;
  for (;;) {
    const page = await em.find(Product, lastId ? { id: { $gt: lastId } } : {}, { orderBy: { id: 'asc' }, limit: PAGE });
    for (const product of page) {
      if (stopped()) return announced; // shutting down: the next start announces again
      await publishProductUpserted(deps, product);
      announced++;
    }
    if (page.length < PAGE) return announced;
    lastId = page[page.length - 1].id;
    em.clear();
  }
}

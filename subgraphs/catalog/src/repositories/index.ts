import type { EntityManager } from '@mikro-orm/postgresql';
import { CategoryRepository } from './category-repository.js';
import { InboxRepository } from './inbox-repository.js';
import { InventoryRepository } from './inventory-repository.js';
import { ProductRepository } from './product-repository.js';

export type { NewStock } from './inventory-repository.js';
export { CategoryRepository, InboxRepository, InventoryRepository, ProductRepository };

/** The repositories over one EntityManager (a fork, or a transaction's). */
export function repositories(em: EntityManager) {
  return {
    categories: new CategoryRepository(em),
    products: new ProductRepository(em),
    inventory: new InventoryRepository(em),
    inbox: new InboxRepository(em),
  };
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { InboxRepository } from './inbox-repository.js';
import { OrderRepository } from './order-repository.js';
import { OrderViewReader } from './order-view-reader.js';
import { ProductRepository } from './product-repository.js';
import { SagaRepository } from './saga-repository.js';

export { InboxRepository, OrderRepository, OrderViewReader, ProductRepository, SagaRepository };

/** The repositories over one EntityManager (a fork, or a transaction's). */
export function repositories(em: EntityManager) {
  return {
    orders: new OrderRepository(em),
    sagas: new SagaRepository(em),
    products: new ProductRepository(em),
    inbox: new InboxRepository(em),
  };
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Order } from '../entities/index.js';
import { OrderRepository } from '../repositories/index.js';
import { type OrderView, orderView } from '../views.js';

/** Orders as views, with their items and sagas: two more queries however many orders there are. */
export async function loadOrderViews(em: EntityManager, orders: Order[]): Promise<OrderView[]> {
  const repo = new OrderRepository(em);
  const ids = orders.map((o) => o.id);
  const [items, sagas] = await Promise.all([repo.itemsOf(ids), repo.sagasOf(ids)]);
  return orders.map((o) => orderView(o, items.get(o.id) ?? [], sagas.get(o.id) ?? null));
}

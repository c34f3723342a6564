import { type AuthContext, isAdmin, parseInput } from '@app/platform';
import { z } from 'zod';
import type { OrdersDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { OrderRepository } from '../repositories/index.js';
import type { OrderView } from '../views.js';
import { loadOrderViews } from './load-order-views.js';

const getOrderInput = z.object({ id: uuid('Order id') });

/** `order(id)`: the caller's order (any order for an admin); null for anyone else's or an unknown id. */
export async function getOrder(deps: OrdersDeps, auth: AuthContext, id: unknown): Promise<OrderView | null> {
  const input = parseInput(getOrderInput, { id });
  const em = deps.em.fork();
  const order = await new OrderRepository(em).findById(input.id);
  if (!order || (order.userId !== auth.userId && !isAdmin(auth))) return null;
  const [view] = await loadOrderViews(em, [order]);
  return view;
}

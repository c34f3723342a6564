import { type AuthContext, isAdmin, parseInput } from '@app/platform';
import { z } from 'zod';
import type { OrdersDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { OrderViewReader } from '../repositories/index.js';
import { type OrderView, orderViewFromRow } from '../views.js';

const getOrderInput = z.object({ id: uuid('Order id') });

/** `order(id)`: the caller's order (any order for an admin); null for anyone else's or an unknown id. */
export async function getOrder(deps: OrdersDeps, auth: AuthContext, id: unknown): Promise<OrderView | null> {
  const input = parseInput(getOrderInput, { id });
  const row = await new OrderViewReader(deps.em.fork()).findById(input.id);
  if (!row || (row.user_id !== auth.userId && !isAdmin(auth))) return null;
  return orderViewFromRow(row);
}

import { type AuthContext, ForbiddenError, isAdmin, parseInput } from '@app/platform';
import { z } from 'zod';
import type { OrdersDeps } from '../deps.js';
import { asObject, orderStatus, pageArgs, uuid } from '../inputs.js';
import { OrderViewReader } from '../repositories/index.js';
import { type OrderView, orderViewFromRow } from '../views.js';

const listInput = z.object({ userId: uuid('User id'), status: orderStatus.nullish().transform((v) => v ?? undefined), ...pageArgs });

/**
 * `userOrders(userId, ...)` and `User.orders`: a user's orders, newest first. Only the user
 * themself (or an admin) may list them: anyone else gets FORBIDDEN.
 */
export async function listUserOrders(deps: OrdersDeps, auth: AuthContext, args: unknown): Promise<OrderView[]> {
  const input = parseInput(listInput, asObject(args));
  if (input.userId !== auth.userId.toLowerCase() && !isAdmin(auth)) throw new ForbiddenError("You may not read another user's orders");
  const rows = await new OrderViewReader(deps.em.fork()).listForUser(input.userId, input);
  return rows.map(orderViewFromRow);
}

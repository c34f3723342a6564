import { type AuthContext, isAdmin, parseInput } from '@app/platform';
import { z } from 'zod';
import type { OrdersDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { OrderRepository } from '../repositories/index.js';
import { type SagaStatusInfoView, sagaStatusInfoView } from '../views.js';

const input = z.object({ orderId: uuid('Order id') });

/** `sagaStatus(orderId)`: with the same visibility as `order` (null for anyone else's). */
export async function getSagaStatus(deps: OrdersDeps, auth: AuthContext, orderId: unknown): Promise<SagaStatusInfoView | null> {
  const { orderId: id } = parseInput(input, { orderId });
  const repo = new OrderRepository(deps.em.fork());
  const order = await repo.findById(id);
  if (!order || (order.userId !== auth.userId && !isAdmin(auth))) return null;
  const saga = (await repo.sagasOf([id])).get(id);
  return saga ? sagaStatusInfoView(saga) : null;
}

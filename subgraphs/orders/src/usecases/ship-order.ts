import { ConflictError, NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { OrdersDeps } from '../deps.js';
import type { OrderStatus } from '../entities/index.js';
import { uuid } from '../inputs.js';
import { publishTransition } from '../saga/publish-transition.js';
import { SagaStatusName } from '../saga/saga-names.js';
import { inSagaTransaction } from '../saga/saga-transaction.js';
import { type OrderView, orderView } from '../views.js';

const input = z.object({ orderId: uuid('Order id') });

const transitions = {
  ship: { from: 'CONFIRMED', to: 'SHIPPED' },
  deliver: { from: 'SHIPPED', to: 'DELIVERED' },
} as const satisfies Record<string, { from: OrderStatus; to: OrderStatus }>;

/**
 * Admin fulfilment (the resolver checks the scope): `shipOrder` CONFIRMED -> SHIPPED,
 * `deliverOrder` SHIPPED -> DELIVERED; any other status (or a cancellation in progress) is
 * CONFLICT. Each transition publishes the order's events like the saga's.
 */
export async function moveOrder(deps: OrdersDeps, kind: keyof typeof transitions, orderId: unknown): Promise<OrderView> {
  const { orderId: id } = parseInput(input, { orderId });
  const { from, to } = transitions[kind];
  const result = await inSagaTransaction(
    deps,
    { order: id },
    (ctx) => {
      if (ctx.order.status !== from || ctx.saga.status !== SagaStatusName.Completed) {
        throw new ConflictError(`Only a ${from} order can be marked ${to} (this one is ${ctx.order.status})`, 'orderId');
      }
      ctx.order.status = to;
      publishTransition(ctx);
      return { applied: true, runLocal: false, view: orderView(ctx.order, ctx.items ?? [], ctx.saga) };
    },
    { withItems: true },
  );
  if (!result) throw new NotFoundError('Order');
  return result.view;
}

export const shipOrder = (deps: OrdersDeps, orderId: unknown) => moveOrder(deps, 'ship', orderId);

import { AppError, type AuthContext, ConflictError, ErrorCode, isAdmin, NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { OrdersDeps } from '../deps.js';
import { asObject, reason, uuid } from '../inputs.js';
import { isCompensating, startCompensation } from '../saga/orchestrator.js';
import { SagaStateName } from '../saga/saga-names.js';
import { inSagaTransaction } from '../saga/saga-transaction.js';

const cancelOrderInput = z.object({ orderId: uuid('Order id'), reason: reason.nullish().transform((v) => v ?? null) });

export const DEFAULT_CANCEL_REASON = 'Cancelled by customer';

/** The stable reasons of a refused cancellation (`extensions.reason`, next to code CONFLICT). */
export const CancelRefusal = {
  AlreadyShipped: 'ORDER_ALREADY_SHIPPED',
  AlreadyCancelled: 'ORDER_ALREADY_CANCELLED',
} as const;

/**
 * `cancelOrder` (owner or admin): before shipping, the saga compensates in reverse whatever it
 * did (refund the payment, release the reserved or committed stock) and the order ends CANCELLED
 * with the reason as `failureReason`; the mutation answers true once the compensation has
 * started. Shipped or delivered: CONFLICT (reason ORDER_ALREADY_SHIPPED); already cancelled or
 * being cancelled: CONFLICT (ORDER_ALREADY_CANCELLED). Someone else's order: NOT_FOUND.
 */
export async function cancelOrder(deps: OrdersDeps, auth: AuthContext, rawInput: unknown): Promise<boolean> {
  const input = parseInput(cancelOrderInput, asObject(rawInput));
  const result = await inSagaTransaction(deps, { order: input.orderId }, (ctx) => {
    const { order } = ctx;
    if (order.userId !== auth.userId.toLowerCase() && !isAdmin(auth)) throw new NotFoundError('Order');
    if (order.status === 'SHIPPED' || order.status === 'DELIVERED') {
      throw new AppError(ErrorCode.CONFLICT, `The order has already been ${order.status.toLowerCase()} and can no longer be cancelled`, {
        reason: CancelRefusal.AlreadyShipped,
        field: 'orderId',
      });
    }
    if (order.status === 'CANCELLED' || isCompensating(ctx)) {
      throw new AppError(ErrorCode.CONFLICT, 'The order has already been cancelled', {
        reason: CancelRefusal.AlreadyCancelled,
        field: 'orderId',
      });
    }
    const outcome = startCompensation(ctx, input.reason ?? DEFAULT_CANCEL_REASON, SagaStateName.Cancelled, true);
    if (!outcome.applied) throw new ConflictError('The order cannot be cancelled now', 'orderId');
    return outcome;
  });
  if (!result) throw new NotFoundError('Order');
  return true;
}

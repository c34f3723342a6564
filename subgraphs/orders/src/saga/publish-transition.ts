import { type OrderStatus, Subjects } from '@app/events';
import { outboxRecord } from '@app/platform';
import { sagaStateView } from '../views.js';
import type { StepContext } from './saga-step.js';

type Ctx = Pick<StepContext, 'order' | 'now' | 'outbox'> & { saga: StepContext['saga'] | null };

/**
 * Every status or saga transition of an order, inside the transaction that makes it: the order's
 * version goes up by one, and `orders.order.updated` (durable) goes to the outbox with
 * `live.order.updated` (broadcast to every gateway, for `orderUpdated`) riding on the same row, so
 * both are published only once the transition has committed, in the order the transitions happened.
 */
export function publishTransition({ outbox, order, saga, now }: Ctx): void {
  order.version += 1;
  order.updatedAt = now;
  if (saga) saga.updatedAt = now;
  const state = saga ? sagaStateView(saga) : null;
  outbox.push(
    outboxRecord(
      Subjects.OrdersOrderUpdated,
      {
        orderId: order.id,
        userId: order.userId,
        status: order.status as OrderStatus,
        sagaStatus: state?.status ?? null,
        currentStep: state?.currentStep ?? null,
        occurredAt: now.toISOString(),
      },
      {
        now,
        broadcast: {
          subject: Subjects.LiveOrderUpdated,
          payload: {
            orderId: order.id,
            userId: order.userId,
            version: order.version,
            status: order.status as OrderStatus,
            updatedAt: now.toISOString(),
            sagaState: state && {
              ...state,
              startedAt: state.startedAt.toISOString(),
              completedAt: state.completedAt?.toISOString() ?? null,
            },
          },
        },
      },
    ),
  );
}

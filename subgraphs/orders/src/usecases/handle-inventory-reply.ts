import type { EventEnvelope, InventoryReplySubject } from '@app/events';
import type { OrdersDeps } from '../deps.js';
import { inventoryReplyInput } from '../saga/inventory-reply-input.js';
import { advanceSaga } from '../saga/orchestrator.js';
import { inSagaTransaction } from '../saga/saga-transaction.js';

/**
 * A participant's reply moves the saga, exactly once per message: the message id goes into the
 * inbox in the same transaction as the transition, so a redelivery changes nothing. A reply that
 * no longer matches the saga (late, after a timeout or a cancellation; a saga erased since) is
 * recorded and ignored. A local step it makes due (the payment) runs in the same transaction when
 * the provider answers at once (`deps.inlineLocal`), else right after the commit.
 */
export async function handleInventoryReply<S extends InventoryReplySubject>(deps: OrdersDeps, envelope: EventEnvelope<S>): Promise<void> {
  const data = envelope.data as { sagaId: string; orderId: string; reason?: string };
  const result = await inSagaTransactionForReply(deps, envelope.subject, envelope.id, data);
  if (result && !result.applied)
    deps.logger.info({ subject: envelope.subject, sagaId: data.sagaId }, 'saga reply did not match the saga state: ignored');
}

async function inSagaTransactionForReply(
  deps: OrdersDeps,
  subject: InventoryReplySubject,
  id: string,
  data: { sagaId: string; orderId: string; reason?: string },
) {
  return inSagaTransaction(
    deps,
    { id: data.sagaId.toLowerCase() },
    (ctx) =>
      ctx.order.id === data.orderId.toLowerCase()
        ? advanceSaga(ctx, inventoryReplyInput(subject, data))
        : { applied: false, runLocal: false },
    { claim: `${subject}:${id}`, inlineLocal: true },
  );
}

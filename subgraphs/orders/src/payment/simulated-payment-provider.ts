import { decimal } from '@app/platform';
import type { ChargeRequest, ChargeResult, PaymentProvider, RefundRequest, RefundResult } from './payment-provider.js';

export interface LedgerEntry {
  orderId: string;
  amount: string;
  status: 'charged' | 'declined' | 'refunded';
}

/**
 * The bundled payment provider: no money moves. The rule (README): a charge is declined when its
 * amount is greater than `declineAbove` (PAYMENT_DECLINE_ABOVE, default 1000000), exactly
 * compared; every other charge succeeds, with payment id `sim_<orderId>`.
 *
 * Its answers depend only on the request, so it is idempotent by order across retries, replicas
 * and restarts. `ledger` records what this process did, for tests and logs.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly ledger = new Map<string, LedgerEntry>();

  constructor(private readonly declineAbove: string) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const previous = this.ledger.get(request.orderId);
    if (decimal.compare(request.amount, this.declineAbove) > 0) {
      if (!previous) this.ledger.set(request.orderId, { orderId: request.orderId, amount: request.amount, status: 'declined' });
      return { status: 'declined', reason: `amount ${request.amount} is above the limit of ${this.declineAbove}` };
    }
    if (!previous) this.ledger.set(request.orderId, { orderId: request.orderId, amount: request.amount, status: 'charged' });
    return { status: 'charged', paymentId: `sim_${request.orderId}` };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const entry = this.ledger.get(request.orderId);
    if (entry?.status === 'charged') entry.status = 'refunded';
    return { status: entry?.status === 'declined' ? 'not_charged' : 'refunded' };
  }
}

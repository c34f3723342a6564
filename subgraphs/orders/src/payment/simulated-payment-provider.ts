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
 * and restarts. `ledger` records what this process did recently (the last `ledgerLimit` orders),
 * for tests and logs: it is bounded, so a long-running service does not grow with every order.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly ledger = new Map<string, LedgerEntry>();

  constructor(
    private readonly declineAbove: string,
    private readonly ledgerLimit = 10_000,
  ) {}

  private record(entry: LedgerEntry): void {
    this.ledger.set(entry.orderId, entry);
    // A Map iterates in insertion order: forget the oldest entries.
    for (const orderId of this.ledger.keys()) {
      if (this.ledger.size <= this.ledgerLimit) break;
      this.ledger.delete(orderId);
    }
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const previous = this.ledger.get(request.orderId);
    if (decimal.compare(request.amount, this.declineAbove) > 0) {
      if (!previous) this.record({ orderId: request.orderId, amount: request.amount, status: 'declined' });
      return { status: 'declined', reason: `amount ${request.amount} is above the limit of ${this.declineAbove}` };
    }
    if (!previous) this.record({ orderId: request.orderId, amount: request.amount, status: 'charged' });
    return { status: 'charged', paymentId: `sim_${request.orderId}` };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const entry = this.ledger.get(request.orderId);
    if (entry?.status === 'charged') entry.status = 'refunded';
    return { status: entry?.status === 'declined' ? 'not_charged' : 'refunded' };
  }
}

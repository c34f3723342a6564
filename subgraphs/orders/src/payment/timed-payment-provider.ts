import { withTimeout } from '@app/platform';
import type { ChargeRequest, ChargeResult, PaymentProvider, RefundRequest, RefundResult } from './payment-provider.js';

export class PaymentTimeoutError extends Error {
  constructor(operation: string, orderId: string, ms: number) {
    super(`payment provider ${operation} for order ${orderId} did not answer within ${ms} ms`);
    this.name = 'PaymentTimeoutError';
  }
}

/**
 * Bounds every provider call. The saga calls the provider with the saga row locked (one runner
 * at a time), so a call that never answers would hold that lock, and a database connection,
 * forever: the sweeper skips a locked saga, cancelOrder waits for it, and the order stays
 * PROCESSING. A call that does not answer in time fails like any provider error (the step is
 * retried, then times out and compensates); providers are idempotent by order, so a late answer
 * to the abandoned call changes nothing.
 */
export class TimedPaymentProvider implements PaymentProvider {
  constructor(
    private readonly inner: PaymentProvider,
    private readonly timeoutMs: number,
  ) {}

  charge(request: ChargeRequest): Promise<ChargeResult> {
    return this.bounded('charge', request.orderId, () => this.inner.charge(request));
  }

  refund(request: RefundRequest): Promise<RefundResult> {
    return this.bounded('refund', request.orderId, () => this.inner.refund(request));
  }

  private bounded<T>(operation: string, orderId: string, call: () => Promise<T>): Promise<T> {
    return withTimeout(call(), this.timeoutMs, () => new PaymentTimeoutError(operation, orderId, this.timeoutMs));
  }
}

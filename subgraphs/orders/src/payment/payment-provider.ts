/**
 * How the order saga takes and gives back money. Implementations must be idempotent by order:
 * charging an order again answers the first charge's outcome (never a second charge), and
 * refunding an order again (or one never charged) is a harmless no-op.
 */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
}

export interface ChargeRequest {
  orderId: string;
  userId: string;
  /** Exact decimal string ("59.97"). */
  amount: string;
}

export type ChargeResult = { status: 'charged'; paymentId: string } | { status: 'declined'; reason: string };

export interface RefundRequest {
  orderId: string;
  reason: string;
}

export type RefundResult = { status: 'refunded' | 'not_charged' };

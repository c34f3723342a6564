import { describe, expect, it } from 'vitest';
import { SimulatedPaymentProvider } from '../src/payment/simulated-payment-provider.js';

describe('SimulatedPaymentProvider (the documented decline rule)', () => {
  const order = (amount: string, orderId = crypto.randomUUID()) => ({ orderId, userId: crypto.randomUUID(), amount });

  it('declines a total above PAYMENT_DECLINE_ABOVE and accepts one equal to it or below, exactly', async () => {
    const provider = new SimulatedPaymentProvider('1000000');
    expect((await provider.charge(order('1000000.0001'))).status).toBe('declined');
    expect((await provider.charge(order('1000000'))).status).toBe('charged');
    expect((await provider.charge(order('0.3'))).status).toBe('charged');
  });

  it('is idempotent by order: a second charge answers the same, a refund of a declined charge is not_charged', async () => {
    const provider = new SimulatedPaymentProvider('100');
    const ok = order('99.99');
    expect(await provider.charge(ok)).toEqual({ status: 'charged', paymentId: `sim_${ok.orderId}` });
    expect(await provider.charge(ok)).toEqual({ status: 'charged', paymentId: `sim_${ok.orderId}` });
    expect(await provider.refund({ orderId: ok.orderId, reason: 'test' })).toEqual({ status: 'refunded' });
    expect(provider.ledger.get(ok.orderId)?.status).toBe('refunded');
    const declined = order('100.01');
    await provider.charge(declined);
    expect(await provider.refund({ orderId: declined.orderId, reason: 'test' })).toEqual({ status: 'not_charged' });
  });
});

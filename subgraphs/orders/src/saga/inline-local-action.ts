import type { InlineLocalSteps } from '../deps.js';
import type { ChargeRequest, PaymentProvider, RefundRequest } from '../payment/payment-provider.js';
import { TimedPaymentProvider } from '../payment/timed-payment-provider.js';
import { runLocalAction, type TransitionResult } from './orchestrator.js';
import type { StepContext } from './saga-step.js';

/** The provider did not answer an inline call in time, or failed it: the action did nothing. */
class InlineProviderError extends Error {
  constructor(cause: unknown) {
    super('the payment provider did not answer the inline call', { cause });
    this.name = 'InlineProviderError';
  }
}

/** The provider, each call bounded by `budgetMs`, its failures marked as such. */
function inlineProvider(inner: PaymentProvider, budgetMs: number): PaymentProvider {
  const timed = new TimedPaymentProvider(inner, budgetMs);
  const marked = async <T>(call: () => Promise<T>) => {
    try {
      return await call();
    } catch (err) {
      throw new InlineProviderError(err);
    }
  };
  return {
    charge: (request: ChargeRequest) => marked(() => timed.charge(request)),
    refund: (request: RefundRequest) => marked(() => timed.refund(request)),
  };
}

/**
 * The saga's due local action run inside the caller's transaction (the reply's that made it due),
 * with every provider call bounded by `budgetMs`. A provider call that fails or does not answer in
 * time leaves the saga as it was (an action changes the saga only once its call answered) and
 * answers null: the caller commits without it and the background runner takes it, as for any
 * local action. Any other error is thrown (the caller's transaction rolls back). Providers are
 * idempotent by order, so an abandoned call and the runner's later one are one charge.
 */
async function runLocalActionInline(ctx: StepContext, budgetMs: number): Promise<TransitionResult | null> {
  try {
    return await runLocalAction({ ...ctx, deps: { ...ctx.deps, payments: inlineProvider(ctx.deps.payments, budgetMs) } });
  } catch (err) {
    if (err instanceof InlineProviderError) return null;
    throw err;
  }
}

/**
 * Runs a local action in the transaction of the reply that made it due (`deps.inlineLocal`)
 * when the payment provider answers within the budget (the bundled simulated provider answers at
 * once): the payment then commits with the reply, one transaction, one relay round and one hop
 * fewer per order. A call that fails or does not answer in time changes nothing: the action goes
 * to the LocalStepRunner after the commit, as before, and for `coolDownMs` every action goes there
 * directly (a slow provider is not tried inline on every order, holding every reply up by the
 * budget). Null: not run here.
 */
export async function runLocalInline(ctx: StepContext, inline: InlineLocalSteps): Promise<TransitionResult | null> {
  if (Date.now() < inline.slowUntil) return null;
  const result = await runLocalActionInline(ctx, inline.budgetMs);
  if (!result) inline.slowUntil = Date.now() + inline.coolDownMs;
  return result;
}

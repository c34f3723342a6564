import type { SagaAction, SagaStepDefinition } from './saga-step.js';
import { confirmOrderStep } from './steps/confirm-order.js';
import { processPaymentStep } from './steps/process-payment.js';
import { reserveInventoryStep } from './steps/reserve-inventory.js';

/** The order saga, in order: reserve_inventory -> process_payment -> confirm_order. */
export const ORDER_SAGA_STEPS: readonly SagaStepDefinition[] = [reserveInventoryStep, processPaymentStep, confirmOrderStep];

export const stepNamed = (name: string | null | undefined) => ORDER_SAGA_STEPS.find((s) => s.name === name);

export const compensationNamed = (name: string | null | undefined): SagaAction | undefined =>
  ORDER_SAGA_STEPS.map((s) => s.compensation).find((c) => c?.name === name);

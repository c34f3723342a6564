/**
 * The order and saga status lists, once: the event schemas, the orders entities (and their
 * database checks) and the orders views derive from them. The orders SDL's `OrderStatus` and
 * `SagaStatus` enums are the public contract and must list the same values (a test checks it).
 */
export const ORDER_STATUSES = ['PENDING', 'PROCESSING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** `SagaState.status`: FAILED once a saga ended without completing (compensated). */
export const SAGA_STATUSES = ['STARTED', 'RUNNING', 'COMPLETED', 'FAILED', 'COMPENSATING'] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];

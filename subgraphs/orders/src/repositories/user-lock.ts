import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Serialises a user's order creation with the erasure of their account (a transaction-scoped
 * advisory lock, per schema and user): an order committed while the erasure runs would otherwise
 * not be seen by it (read committed) and survive the erasure, and the erasure would not be seen
 * by createOrder. The erasure takes it exclusive (here); createOrder takes it shared
 * (`findAvailable`'s lockKey), so one user's orders do not wait for each other, only for an erasure.
 */
export async function lockUserOrders(tx: EntityManager, schema: string, userId: string): Promise<void> {
  await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [userOrdersLockKey(schema, userId)]);
}

/** The lock's key, for a statement that takes it with its own read (createOrder's products). */
export const userOrdersLockKey = (schema: string, userId: string) => `orders-user:${schema}:${userId}`;

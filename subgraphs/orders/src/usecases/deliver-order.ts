import type { OrdersDeps } from '../deps.js';
import { moveOrder } from './ship-order.js';

/** Admin: SHIPPED -> DELIVERED (CONFLICT otherwise). */
export const deliverOrder = (deps: OrdersDeps, orderId: unknown) => moveOrder(deps, 'deliver', orderId);

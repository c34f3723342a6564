import { defineOutboxMessage } from '@app/platform';
import { Category } from './category.js';
import { InboxMessage, type StockChange } from './inbox-message.js';
import { InventoryOrder, InventoryOrderState } from './inventory-order.js';
import { InventoryReservation, ReservationState } from './inventory-reservation.js';
import { Product } from './product.js';

export { Category, InboxMessage, InventoryOrder, InventoryOrderState, InventoryReservation, Product, ReservationState, type StockChange };
/** This service's outbox: its events, written in the transaction of the change they announce (see @app/platform). */
export const OutboxMessage = defineOutboxMessage();
export const entities = [Category, Product, InventoryOrder, InventoryReservation, InboxMessage, OutboxMessage];

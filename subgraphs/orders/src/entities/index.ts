import { Erasure } from './erasure.js';
import { Order } from './order.js';
import { OrderItem } from './order-item.js';
import { OutboxMessage } from './outbox-message.js';
import { ProcessedMessage } from './processed-message.js';
import { Product } from './product.js';
import { Saga } from './saga.js';

// The status lists are the events' (one list for the entities' checks, the events and the views).
export { ORDER_STATUSES, type OrderStatus, SAGA_STATUSES, type SagaStatus } from '@app/events';
export { Erasure, Order, OrderItem, OutboxMessage, ProcessedMessage, Product, Saga };
export const entities = [Order, OrderItem, Saga, OutboxMessage, ProcessedMessage, Product, Erasure];

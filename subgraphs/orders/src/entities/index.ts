import { Erasure } from './erasure.js';
import { OrderItem } from './order-item.js';
import { Order } from './order.js';
import { OutboxMessage } from './outbox-message.js';
import { ProcessedMessage } from './processed-message.js';
import { Product } from './product.js';
import { Saga } from './saga.js';

export { Erasure, Order, OrderItem, OutboxMessage, ProcessedMessage, Product, Saga };
export { ORDER_STATUSES, type OrderStatus } from './order.js';
export { SAGA_STATUSES, type SagaStatus } from './saga.js';
export const entities = [Order, OrderItem, Saga, OutboxMessage, ProcessedMessage, Product, Erasure];

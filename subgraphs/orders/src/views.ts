import type { SagaStatus } from '@app/events';
import { decimal } from '@app/platform';
import type { Order, OrderItem, Saga } from './entities/index.js';
import type { OrderViewRow } from './repositories/order-view-reader.js';

/** What `SagaState` shows (and what live.order.updated carries). */
export interface SagaStateView {
  state: string;
  status: SagaStatus;
  currentStep: string | null;
  completedSteps: string[];
  failureReason: string | null;
  startedAt: Date;
  completedAt: Date | null;
}

export interface OrderItemView {
  productId: string;
  productName: string;
  quantity: number;
  /** Canonical decimal strings: the Decimal scalar serialises them exactly. */
  price: string;
  subtotal: string;
}

export interface OrderView {
  id: string;
  userId: string;
  status: Order['status'];
  totalAmount: string;
  items: OrderItemView[];
  sagaState: SagaStateView | null;
  /** Grows with every transition (live updates carry it). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SagaStatusInfoView {
  sagaId: string;
  state: string;
  currentStep: string | null;
  completedSteps: string[];
  error: string | null;
  startedAt: Date;
  completedAt: Date | null;
}

export const sagaStateView = (saga: Saga): SagaStateView => ({
  state: saga.state,
  status: saga.status as SagaStatus,
  currentStep: saga.currentStep ?? null,
  completedSteps: [...saga.completedSteps],
  failureReason: saga.failureReason ?? null,
  startedAt: saga.startedAt,
  completedAt: saga.completedAt ?? null,
});

export const orderItemView = (item: OrderItem): OrderItemView => ({
  productId: item.productId,
  productName: item.productName,
  quantity: item.quantity,
  price: decimal.normalize(String(item.unitPrice)),
  subtotal: decimal.normalize(String(item.subtotal)),
});

export function orderView(order: Order, items: OrderItem[], saga: Saga | null): OrderView {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    totalAmount: decimal.normalize(String(order.totalAmount)),
    items: [...items].sort((a, b) => a.position - b.position).map(orderItemView),
    sagaState: saga ? sagaStateView(saga) : null,
    version: order.version,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

export const sagaStatusInfoView = (saga: Saga): SagaStatusInfoView => ({
  sagaId: saga.id,
  state: saga.state,
  currentStep: saga.currentStep ?? null,
  completedSteps: [...saga.completedSteps],
  error: saga.failureReason ?? null,
  startedAt: saga.startedAt,
  completedAt: saga.completedAt ?? null,
});

/** The same view from a row of OrderViewReader (items already in order, decimals as text). */
export function orderViewFromRow(row: OrderViewRow): OrderView {
  const saga = row.saga;
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status as Order['status'],
    totalAmount: decimal.normalize(row.total_amount),
    items: row.items.map((item) => ({
      productId: item.productId,
      productName: item.productName,
      quantity: item.quantity,
      price: decimal.normalize(item.unitPrice),
      subtotal: decimal.normalize(item.subtotal),
    })),
    sagaState: saga
      ? {
          state: saga.state,
          status: saga.status as SagaStatus,
          currentStep: saga.current_step,
          completedSteps: [...saga.completed_steps],
          failureReason: saga.failure_reason,
          startedAt: new Date(saga.started_at),
          completedAt: saga.completed_at ? new Date(saga.completed_at) : null,
        }
      : null,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

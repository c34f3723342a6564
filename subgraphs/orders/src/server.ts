import { readFileSync } from 'node:fs';
import {
  createSubgraphServer,
  dependencyChecks,
  OutboxRelay,
  openSubgraphFoundation,
  type Service,
  type SubgraphServiceOptions,
  subgraphService,
} from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'graphql';
import type { OrdersConfig } from './config.js';
import { database } from './database.js';
import type { OrdersDeps } from './deps.js';
import { subscribeHandlers } from './handlers/index.js';
import { LocalStepRunner } from './handlers/local-step-runner.js';
import { SagaSweeper } from './handlers/saga-sweeper.js';
import type { PaymentProvider } from './payment/payment-provider.js';
import { SimulatedPaymentProvider } from './payment/simulated-payment-provider.js';
import { TimedPaymentProvider } from './payment/timed-payment-provider.js';
import { createResolvers } from './resolvers/index.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export interface OrdersServiceOptions extends SubgraphServiceOptions<OrdersConfig> {
  /** Default: the SimulatedPaymentProvider (declines totals above PAYMENT_DECLINE_ABOVE). */
  payments?: PaymentProvider;
}

export interface OrdersService extends Service {
  deps: OrdersDeps;
  relay: OutboxRelay;
  sweeper: SagaSweeper;
}

/**
 * Builds the orders subgraph (tests import this); `index.ts` only listens. At start it
 * subscribes to the participants' replies, starts the outbox relay (publishing whatever a
 * previous run left unsent) and the saga sweeper (resuming unfinished sagas).
 */
export async function buildOrdersService(options: OrdersServiceOptions): Promise<OrdersService> {
  const { config, logger, infra, orm } = await openSubgraphFoundation('orders', options, database);
  const em = orm.em as EntityManager;
  const relay = new OutboxRelay({
    name: 'orders',
    em,
    bus: infra.bus,
    logger,
    schema: config.DB_SCHEMA,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL * 1000,
  });
  const deps: OrdersDeps = {
    em,
    bus: infra.bus,
    config,
    logger,
    // Bounded: a provider call is made with the saga locked (see TimedPaymentProvider).
    payments: new TimedPaymentProvider(
      options.payments ?? new SimulatedPaymentProvider(config.PAYMENT_DECLINE_ABOVE),
      Math.min(config.SAGA_STEP_TIMEOUT, 30) * 1000,
    ),
    nudgeOutbox: () => relay.nudge(),
    publishCommitted: (records) => relay.publishCommitted(records),
    runLocalSteps: (sagaId) => localSteps.start(sagaId),
    // The payment in the reply's transaction when the provider answers within 50 ms (saga/inline-local-action.ts).
    inlineLocal: { budgetMs: 50, coolDownMs: 60_000, slowUntil: 0 },
  };
  // Each running action holds a connection while the provider answers: leave most of the pool to the rest.
  const localSteps = new LocalStepRunner(deps, Math.max(1, Math.floor(config.DB_POOL_MAX / 2)));
  const sweeper = new SagaSweeper(deps);

  const subscriptions = await subscribeHandlers(deps);
  relay.start();
  sweeper.start();

  const server = await createSubgraphServer({
    name: 'orders',
    typeDefs,
    resolvers: createResolvers(deps),
    verifier: infra.verifier,
    logger,
    production: config.NODE_ENV === 'production',
    healthChecks: dependencyChecks(orm, infra),
    bus: infra.bus,
  });

  // Stop order: no new sweeps, then the consumers (waiting for running handlers), then the local
  // saga actions running (waiting ones are left to the sweeper), then the relay (a round in
  // progress finishes; unsent rows stay for the next start), then the connections.
  const service = subgraphService('orders', server, deps, [
    () => sweeper.stop(),
    () => Promise.all(subscriptions.map((s) => s.unsubscribe())),
    () => localSteps.stop(),
    () => relay.stop(),
    () => infra.close(),
    () => orm.close(),
  ]);
  return { ...service, relay, sweeper };
}
export { loadOrdersConfig, type OrdersConfig } from './config.js';
export { ORDERS_DURABLES } from './handlers/index.js';
export type { PaymentProvider } from './payment/payment-provider.js';
export { SimulatedPaymentProvider } from './payment/simulated-payment-provider.js';

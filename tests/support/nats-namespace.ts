import { NatsEventBus } from '@app/events';

/**
 * Deletes the streams (EVENTS and DLQ, with their consumers) of a NATS namespace that a test's
 * platform made: they outlive its processes, and on a machine kept from run to run every
 * suite would otherwise leave its namespaces' messages and consumers to the broker.
 */
export async function deleteNamespaceStreams(url: string, namespace: string): Promise<void> {
  const bus = await NatsEventBus.connect({ url, namespace });
  try {
    await bus.deleteNamespaceStreams();
  } finally {
    await bus.close();
  }
}

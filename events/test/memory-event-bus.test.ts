import { MemoryEventBus } from '../src/index.js';
import { eventBusContract } from './event-bus.contract.js';

eventBusContract('MemoryEventBus', async () => {
  // In-process "replicas" share one bus, as services do in embedded mode.
  const bus = new MemoryEventBus();
  return { bus, peer: bus, teardown: () => bus.close() };
});

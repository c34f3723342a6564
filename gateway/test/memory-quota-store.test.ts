import { MemoryQuotaStore } from '../src/limits/memory-quota-store.js';
import { quotaStoreContract } from './quota-store.contract.js';

quotaStoreContract('memory', () => ({ store: new MemoryQuotaStore() }));

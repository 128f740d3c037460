import { runStoreConformance } from '@spane/store-testkit';
import { InMemoryExecutionStore } from '../src/index.js';

runStoreConformance({ name: 'store-memory', createStore: () => new InMemoryExecutionStore() });

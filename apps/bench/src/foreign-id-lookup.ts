/**
 * How long a by-id read takes for another tenant's execution, an unknown id, and (for
 * comparison) the old way: read without the tenant, then compare. One execution of tenant
 * A with large node outputs; tenant B asks for it. Prints the median of each, in ms.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     pnpm exec tsx --conditions=@spane/source src/foreign-id-lookup.ts
 */
import { randomUUID } from 'node:crypto';
import { compileWorkflow, type ExecutionStore } from '@spane/core';
import { openPostgresStore } from './stores.js';

const ROUNDS = 200;
const NODES = 20;
const OUTPUT = 'x'.repeat(50_000);

async function median(read: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await read();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function foreignExecution(store: ExecutionStore): Promise<string> {
  const nodes = Array.from({ length: NODES }, (_, i) => ({ id: `n${i}`, type: 'x' }));
  const plan = compileWorkflow({ id: 'big', name: 'big', nodes });
  await store.saveWorkflow(plan, { tenantId: 'A' });
  const { execution } = await store.createExecution({ plan, tenantId: 'A' });
  for (const { id } of nodes) {
    await store.beginNodeRun(plan, execution.executionId, id);
    await store.completeNode(plan, execution.executionId, id, {
      type: 'completed',
      data: { blob: OUTPUT },
    });
  }
  return execution.executionId;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const opened = await openPostgresStore(url);
  try {
    const { store } = opened;
    const id = await foreignExecution(store);
    const rows = {
      'foreign id, tenant in the query': await median(() => store.getExecution(id, 'B')),
      'unknown id, tenant in the query': await median(() => store.getExecution(randomUUID(), 'B')),
      'foreign id, read then compared (before)': await median(() => store.getExecution(id)),
    };
    for (const [what, ms] of Object.entries(rows)) console.log(`${what}: ${ms.toFixed(3)} ms`);
  } finally {
    await opened.dispose();
  }
}

await main();

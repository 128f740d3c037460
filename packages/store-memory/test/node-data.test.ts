import { compileWorkflow, InvalidArgumentError } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { InMemoryExecutionStore } from '../src/index.js';

const plan = compileWorkflow({
  id: 'wf',
  name: 'wf',
  nodes: [
    { id: 'A', type: 't' },
    { id: 'B', type: 't', inputs: ['A'] },
  ],
});

async function started(store: InMemoryExecutionStore): Promise<string> {
  await store.saveWorkflow(plan);
  const { execution } = await store.createExecution({ plan });
  await store.beginNodeRun(plan, execution.executionId, 'A');
  return execution.executionId;
}

describe('node outputs in store-memory', () => {
  it('an output JSON cannot hold is refused with InvalidArgumentError and changes nothing', async () => {
    const store = new InMemoryExecutionStore();
    const id = await started(store);
    const before = await store.getExecution(id);
    for (const data of [{ big: 10n }, () => 1]) {
      await expect(
        store.completeNode(plan, id, 'A', { type: 'completed', data }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(await store.getExecution(id)).toStrictEqual(before);
    // The node can still complete with a good output, which its child receives.
    const done = await store.completeNode(plan, id, 'A', { type: 'completed', data: { n: 1 } });
    expect(done.ready).toEqual(['B']);
    const b = await store.beginNodeRun(plan, id, 'B');
    expect(b.started && b.inputData).toStrictEqual({ n: 1 });
  });

  it("keeps the caller's dataText as the output's text (the engine's, taken as the executor returned)", async () => {
    const store = new InMemoryExecutionStore();
    const id = await started(store);
    const data = { n: 1 };
    // The text, not a new serialization of the (since changed) object, is what is kept.
    const dataText = JSON.stringify(data);
    data.n = 2;
    await store.completeNode(plan, id, 'A', { type: 'completed', data }, undefined, { dataText });
    const b = await store.beginNodeRun(plan, id, 'B');
    expect(b.started && b.inputData).toStrictEqual({ n: 1 });
  });

  it('a failed node keeps its output next to its error', async () => {
    const store = new InMemoryExecutionStore();
    const id = await started(store);
    await store.completeNode(plan, id, 'A', { type: 'failed', error: 'boom', data: [null, 0] });
    const node = (await store.getExecution(id))?.nodeResults.A;
    expect(node).toMatchObject({ status: 'failed', error: 'boom', data: [null, 0] });
  });
});

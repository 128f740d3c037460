import { compileWorkflow, InvalidArgumentError } from '@spane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresExecutionStore } from '../src/index.js';
import { admin, createSchema, dropSchema, schemaName, store } from './helpers.js';

// Run tokens (fencing) as PostgreSQL keeps them; the behaviour is the testkit's `fencing`
// suite. Here: a token with U+0000 is refused before any I/O, and the column is cleared
// whenever the node is no longer held.

const schema = schemaName();

beforeAll(async () => {
  await createSchema(schema);
});

afterAll(async () => {
  await dropSchema(schema);
});

const plan = compileWorkflow({
  id: 'wf-tokens',
  name: 'tokens',
  nodes: [
    { id: 'A', type: 't' },
    { id: 'B', type: 't', inputs: ['A'] },
    { id: 'C', type: 't', inputs: ['A'] },
  ],
});

async function withStore(work: (s: PostgresExecutionStore) => Promise<void>): Promise<void> {
  const s = store(schema);
  try {
    await s.saveWorkflow(plan);
    await work(s);
  } finally {
    await s.close();
  }
}

/** The stored token of each node of an execution. */
async function tokens(executionId: string): Promise<Record<string, string | null>> {
  const { rows } = await admin<{ node_id: string; run_token: string | null }>(
    `SELECT node_id, run_token FROM "${schema}".node_states WHERE execution_id = $1`,
    [executionId],
  );
  return Object.fromEntries(rows.map((r) => [r.node_id, r.run_token]));
}

describe('run tokens in store-postgres', () => {
  it('a token PostgreSQL cannot store (U+0000) is InvalidArgumentError before any I/O, and changes nothing', async () => {
    await withStore(async (s) => {
      const id = (await s.createExecution({ plan })).execution.executionId;
      await s.beginNodeRun(plan, id, 'A', undefined, 'good');
      const before = await s.getExecution(id);
      for (const bad of ['a\u0000b', '\u0000']) {
        const label = JSON.stringify(bad);
        await expect(s.beginNodeRun(plan, id, 'A', undefined, bad), label).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
        for (const outcome of [
          { type: 'completed' } as const,
          { type: 'failed', error: 'x' } as const,
        ]) {
          await expect(
            s.completeNode(plan, id, 'A', outcome, undefined, { runToken: bad }),
            label,
          ).rejects.toBeInstanceOf(InvalidArgumentError);
        }
        await expect(
          s.setNodeStatus(id, 'A', 'delayed', { runToken: bad }),
          label,
        ).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(
          s.createExecution({ plan, start: ['A'], runToken: bad }),
          label,
        ).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      expect(await s.getExecution(id)).toEqual(before);
      expect(await tokens(id)).toEqual({ A: 'good', B: null, C: null });
    });
  });

  it('the column holds the token while the node is held, and is cleared when it is settled, queued or cancelled', async () => {
    await withStore(async (s) => {
      const id = (await s.createExecution({ plan, start: ['A'], runToken: 'create' })).execution
        .executionId;
      expect(await tokens(id)).toEqual({ A: 'create>A', B: null, C: null });
      await s.beginNodeRun(plan, id, 'A', undefined, 'run-a');
      await s.completeNode(plan, id, 'A', { type: 'completed' }, undefined, {
        runToken: 'run-a',
        start: ['B', 'C'],
      });
      expect(await tokens(id)).toEqual({ A: null, B: 'run-a>B', C: 'run-a>C' });
      expect(await s.setNodeStatus(id, 'B', 'waiting', { runToken: 'run-a>B' })).toBe(true);
      expect(await tokens(id)).toMatchObject({ B: 'run-a>B' });
      expect(await s.setNodeStatus(id, 'B', 'queued')).toBe(true);
      expect(await tokens(id)).toMatchObject({ B: null });
      // A begin without a token releases the node.
      await s.beginNodeRun(plan, id, 'C');
      expect(await tokens(id)).toMatchObject({ C: null });
      await s.beginNodeRun(plan, id, 'C', undefined, 'run-c');
      await s.setExecutionStatus(id, 'cancelled');
      expect(await tokens(id)).toEqual({ A: null, B: null, C: null });
    });
  });

  it('a hard failure clears the failed node and the nodes it cancels', async () => {
    await withStore(async (s) => {
      const id = (await s.createExecution({ plan })).execution.executionId;
      await s.beginNodeRun(plan, id, 'A', undefined, 'run-a');
      await s.completeNode(plan, id, 'A', { type: 'completed' }, undefined, {
        runToken: 'run-a',
        start: ['B', 'C'],
      });
      await s.completeNode(plan, id, 'B', { type: 'failed', error: 'x' }, undefined, {
        runToken: 'run-a>B',
      });
      expect(await tokens(id)).toEqual({ A: null, B: null, C: null });
      expect((await s.getExecution(id))?.nodeResults.C?.status).toBe('cancelled');
    });
  });

  it("keeps the caller's dataText as the output's text, checked as any output", async () => {
    await withStore(async (s) => {
      const { execution } = await s.createExecution({ plan });
      const id = execution.executionId;
      await s.beginNodeRun(plan, id, 'A');
      const data = { n: 1 };
      const dataText = JSON.stringify(data);
      data.n = 2;
      // A text PostgreSQL cannot store is refused as a value would be.
      await expect(
        s.completeNode(plan, id, 'A', { type: 'completed', data }, undefined, {
          dataText: '{"n":"\\u0000"}',
        }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
      await s.completeNode(plan, id, 'A', { type: 'completed', data }, undefined, { dataText });
      const b = await s.beginNodeRun(plan, id, 'B');
      expect(b.started && b.inputData).toStrictEqual({ n: 1 });
    });
  });
});

import { type CompleteNodeResult, compileWorkflow } from '@spane/core';
import { startedRunToken } from '@spane/core/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresExecutionStore } from '../src/index.js';
import { createSchema, dropSchema, schemaName, store } from './helpers.js';

// Completions in flight together go out as one statement (one batch in flight at a time).
// A join that two completions of one batch make ready is started only if exactly one of
// them asked to start it, and it is reported (ready, started) to that one.

const schema = schemaName();

beforeAll(async () => {
  await createSchema(schema);
});

afterAll(async () => {
  await dropSchema(schema);
});

const diamond = compileWorkflow({
  id: 'wf-join-batch',
  name: 'join batch',
  nodes: [
    { id: 'A', type: 't' },
    { id: 'B', type: 't', inputs: ['A'] },
    { id: 'C', type: 't', inputs: ['A'] },
    { id: 'J', type: 't', inputs: ['B', 'C'] },
  ],
});

/** An execution of the diamond whose B and C run. */
async function bothParentsRunning(s: PostgresExecutionStore): Promise<string> {
  const id = (await s.createExecution({ plan: diamond })).execution.executionId;
  await s.beginNodeRun(diamond, id, 'A', undefined, 'a');
  await s.completeNode(diamond, id, 'A', { type: 'completed', data: 'a' }, undefined, {
    runToken: 'a',
  });
  await s.beginNodeRun(diamond, id, 'B', undefined, 'b');
  await s.beginNodeRun(diamond, id, 'C', undefined, 'c');
  return id;
}

/**
 * Completes B and C of `id` in one batch (a completion of another execution is in flight
 * first, so both wait for the next statement), C (and B when `bAsks`) asking to start J.
 */
async function completeInOneBatch(
  s: PostgresExecutionStore,
  id: string,
  bAsks: boolean,
): Promise<{ b: CompleteNodeResult; c: CompleteNodeResult }> {
  const other = await bothParentsRunning(s);
  const first = s.completeNode(diamond, other, 'B', { type: 'completed' }, undefined, {
    runToken: 'b',
  });
  const b = s.completeNode(diamond, id, 'B', { type: 'completed', data: 'b' }, undefined, {
    runToken: 'b',
    ...(bAsks ? { start: ['J'] } : {}),
  });
  const c = s.completeNode(diamond, id, 'C', { type: 'completed', data: 'c' }, undefined, {
    runToken: 'c',
    start: ['J'],
  });
  await first;
  return { b: await b, c: await c };
}

describe('a join made ready by two completions of one batch (store-postgres)', () => {
  it('is started when only one of them asked, and reported to that one', async () => {
    const s = store(schema);
    try {
      await s.saveWorkflow(diamond);
      const id = await bothParentsRunning(s);
      const { b, c } = await completeInOneBatch(s, id, false);
      expect(b).toMatchObject({ recorded: true, ready: [] });
      expect(b.started).toBeUndefined();
      expect(c).toMatchObject({ recorded: true, ready: ['J'], started: ['J'] });
      const j = (await s.getExecution(id))?.nodeResults.J;
      expect(j).toMatchObject({ status: 'running', attempts: 1 });
      // Held by the token derived from C's: a begin under it keeps the attempt.
      const begun = await s.beginNodeRun(diamond, id, 'J', 1, startedRunToken('c', 'J'));
      expect(begun).toMatchObject({ started: true, attempt: 1, inputData: { B: 'b', C: 'c' } });
    } finally {
      await s.close();
    }
  });

  it('is queued when both asked, and reported to one of them', async () => {
    const s = store(schema);
    try {
      await s.saveWorkflow(diamond);
      const id = await bothParentsRunning(s);
      const { b, c } = await completeInOneBatch(s, id, true);
      const readiers = [b, c].filter((r) => r.ready.includes('J'));
      expect(readiers).toHaveLength(1);
      expect([...(b.started ?? []), ...(c.started ?? [])]).toEqual([]);
      const j = (await s.getExecution(id))?.nodeResults.J;
      expect(j?.status).toBe('queued');
      expect(j?.attempts ?? 0).toBe(0);
    } finally {
      await s.close();
    }
  });
});

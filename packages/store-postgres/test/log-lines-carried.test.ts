import { compileWorkflow } from '@spane/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresExecutionStore } from '../src/index.js';
import { createSchema, dropSchema, schemaName, store } from './helpers.js';

// `appendLogs` lines appended while a completion statement is in flight go out with the
// next completion statement (one round trip and commit for both) instead of a statement of
// their own; with no completion in flight they go out at once, as before. Either way an
// execution's lines keep the order of the calls.

const schema = schemaName();

beforeAll(async () => {
  await createSchema(schema);
});

afterAll(async () => {
  await dropSchema(schema);
});

const chain = compileWorkflow({
  id: 'wf-log-carry',
  name: 'log carry',
  nodes: [
    { id: 'A', type: 't' },
    { id: 'B', type: 't', inputs: ['A'] },
  ],
});

/** A pg.Client class that records what each of its queries sends: its text, or prepared statement's text. */
function recordingClient(sent: string[]): typeof pg.Client {
  return class RecordingClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const query = this.query.bind(this) as (...args: unknown[]) => Promise<pg.QueryResult>;
      (this as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0] as string | { text?: string } | undefined;
        sent.push(typeof first === 'string' ? first : (first?.text ?? ''));
        return query(...args);
      };
    }
  };
}

/** Writes of log lines of their own (a transaction: the completion statement is a prepared `WITH`). */
const ownLogWrites = (sent: readonly string[]) =>
  sent.filter((t) => t.startsWith('BEGIN') && t.includes('logs'));
const completions = (sent: readonly string[]) => sent.filter((t) => t.startsWith('WITH l AS'));

/** An execution of the chain whose A runs, held by token 'a'. */
async function running(s: PostgresExecutionStore): Promise<string> {
  const id = (await s.createExecution({ plan: chain })).execution.executionId;
  await s.beginNodeRun(chain, id, 'A', undefined, 'a');
  return id;
}

const completeA = (s: PostgresExecutionStore, id: string) =>
  s.completeNode(chain, id, 'A', { type: 'completed', data: 1 }, undefined, { runToken: 'a' });

const line = (executionId: string, message: string) => ({
  executionId,
  level: 'info' as const,
  message,
  timestamp: new Date().toISOString(),
});

describe('log lines carried by a completion (store-postgres)', () => {
  it('go out with the next completion statement while one is in flight', async () => {
    const sent: string[] = [];
    const s = store(schema, { poolConfig: { Client: recordingClient(sent) } });
    try {
      await s.saveWorkflow(chain);
      const [x, y, z] = [await running(s), await running(s), await running(s)];
      sent.length = 0;
      const first = completeA(s, x);
      const appended = s.appendLogs([line(y, 'the end of y')]);
      const second = completeA(s, z);
      await Promise.all([first, appended, second]);
      expect(completions(sent)).toHaveLength(2);
      expect(ownLogWrites(sent)).toEqual([]);
      expect((await s.getLogs(y)).map((l) => l.message)).toEqual(['the end of y']);
      expect((await second).ready).toEqual(['B']);
    } finally {
      await s.close();
    }
  });

  it('go out at once on their own when no completion is in flight, or none follows', async () => {
    const sent: string[] = [];
    const s = store(schema, { poolConfig: { Client: recordingClient(sent) } });
    try {
      await s.saveWorkflow(chain);
      const x = await running(s);
      sent.length = 0;
      await s.appendLogs([line(x, 'alone')]);
      expect(ownLogWrites(sent)).toHaveLength(1);
      // In flight with a completion, and no completion after it: on their own once it ends.
      const done = completeA(s, x);
      const appended = s.appendLogs([line(x, 'after the completion')]);
      await Promise.all([done, appended]);
      expect(ownLogWrites(sent)).toHaveLength(2);
      expect((await s.getLogs(x)).map((l) => l.message)).toEqual(['alone', 'after the completion']);
    } finally {
      await s.close();
    }
  });

  it("keep an execution's order across writes of their own and carried ones", async () => {
    const s = store(schema);
    try {
      await s.saveWorkflow(chain);
      const [x, y, z] = [await running(s), await running(s), await running(s)];
      const calls: Promise<unknown>[] = [];
      calls.push(s.appendLogs([line(x, 'one')])); // on its own, at once
      calls.push(completeA(s, y)); // a completion in flight: it takes nothing (lines are)
      calls.push(s.appendLogs([line(x, 'two'), line(x, 'three')])); // waits
      calls.push(completeA(s, z)); // the next completion: takes 'two' and 'three'
      calls.push(s.appendLogs([line(x, 'four')]));
      await Promise.all(calls);
      await s.appendLogs([line(x, 'five')]);
      expect((await s.getLogs(x)).map((l) => l.message)).toEqual([
        'one',
        'two',
        'three',
        'four',
        'five',
      ]);
    } finally {
      await s.close();
    }
  });
});

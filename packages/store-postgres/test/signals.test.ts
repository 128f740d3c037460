import { compileWorkflow } from '@spane/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresExecutionStore } from '../src/index.js';
import {
  admin,
  createSchema,
  DATABASE_URL,
  dropSchema,
  schemaName,
  store,
  watchQueries,
} from './helpers.js';

// Races of recordSignal and purgeExecutions that only a real server's locks and snapshots
// decide; the conformance suite (test/conformance.test.ts) checks the contract itself.

const schema = schemaName();

beforeAll(async () => {
  await createSchema(schema);
});

afterAll(async () => {
  await dropSchema(schema);
});

/** A store whose connections carry an application name of their own. */
function namedStore(): { s: PostgresExecutionStore; applicationName: string } {
  const applicationName = `spane-test-${schemaName()}`;
  const s = store(schema, { poolConfig: { application_name: applicationName, max: 2 } });
  return { s, applicationName };
}

/** Creates an execution of a fresh one-node workflow. */
async function newExecution(s: PostgresExecutionStore): Promise<string> {
  const plan = compileWorkflow({
    id: `wf-${schemaName()}`,
    name: 'signals',
    nodes: [{ id: 'A', type: 'noop' }],
  });
  await s.saveWorkflow(plan);
  return (await s.createExecution({ plan })).execution.executionId;
}

/** Resolves once a backend of `applicationName` waits for a lock (polls, 10 s deadline). */
async function untilWaiting(applicationName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await admin(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [applicationName],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no backend of ${applicationName} waited for a lock`);
}

/** A client of its own in an open transaction; `end` commits and disconnects. */
async function transaction(): Promise<{ client: pg.Client; end: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query('BEGIN');
  return {
    client,
    end: async () => {
      try {
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
    },
  };
}

async function signalRows(executionId: string): Promise<number> {
  const { rows } = await admin(
    `SELECT count(*)::int AS n FROM "${schema}".execution_signals WHERE execution_id = $1`,
    [executionId],
  );
  return rows[0]!.n as number;
}

const insertSignal = `INSERT INTO "${schema}".execution_signals
  (execution_id, name, kind, payload, received_at) VALUES ($1, $2, 'signal', $3::jsonb, now())`;

describe('recordSignal races', () => {
  it('losing to a row committed after its snapshot, it runs again and returns the kept row', async () => {
    const applicationName = `spane-test-${schemaName()}`;
    const pool = new pg.Pool({ connectionString: DATABASE_URL, application_name: applicationName });
    const statements: string[] = [];
    watchQueries(pool, (config) => {
      const text = typeof config === 'string' ? config : (config as { text: string }).text;
      if (text.includes('execution_signals')) statements.push(text);
    });
    const s = store(schema, { pool });
    try {
      const id = await newExecution(s);
      const other = await transaction();
      await other.client.query(insertSignal, [id, 'go', '{"by":"other"}']);
      const recording = s.recordSignal(id, { name: 'go', kind: 'signal', payload: 'mine' });
      recording.catch(() => {}); // awaited below; not unhandled if the wait fails first
      try {
        await untilWaiting(applicationName);
      } finally {
        await other.end();
      }
      const result = await recording;
      expect(result?.recorded).toBe(false);
      expect(result?.signal).toMatchObject({
        name: 'go',
        kind: 'signal',
        payload: { by: 'other' },
      });
      expect(statements).toHaveLength(2);
      expect(await s.getSignal(id, 'go')).toStrictEqual(result!.signal);
    } finally {
      await s.close();
      await pool.end();
    }
  });

  it('waits for a purge holding the execution, then returns null and leaves no row', async () => {
    const { s, applicationName } = namedStore();
    try {
      const id = await newExecution(s);
      const purge = await transaction();
      await purge.client.query(
        `SELECT 1 FROM "${schema}".executions WHERE execution_id = $1 FOR UPDATE`,
        [id],
      );
      await purge.client.query(`DELETE FROM "${schema}".executions WHERE execution_id = $1`, [id]);
      const recording = s.recordSignal(id, { name: 'go', kind: 'signal', payload: 1 });
      recording.catch(() => {}); // awaited below; not unhandled if the wait fails first
      try {
        await untilWaiting(applicationName);
      } finally {
        await purge.end();
      }
      expect(await recording).toBeNull();
      expect(await signalRows(id)).toBe(0);
    } finally {
      await s.close();
    }
  });
});

describe('purgeExecutions and signals', () => {
  it('skips an execution a recordSignal holds (FOR KEY SHARE), and purges it after', async () => {
    const { s } = namedStore();
    try {
      const id = await newExecution(s);
      await s.recordSignal(id, { name: 'go', kind: 'signal', payload: 1 });
      await s.setExecutionStatus(id, 'cancelled');
      const finishedBefore = new Date(Date.now() + 86_400_000).toISOString();
      const recorder = await transaction();
      await recorder.client.query(
        `SELECT 1 FROM "${schema}".executions WHERE execution_id = $1 FOR KEY SHARE`,
        [id],
      );
      try {
        await s.purgeExecutions({ finishedBefore });
        expect(await s.getExecution(id)).not.toBeNull();
        expect(await signalRows(id)).toBe(1);
      } finally {
        await recorder.end();
      }
      await s.purgeExecutions({ finishedBefore });
      expect(await s.getExecution(id)).toBeNull();
      expect(await signalRows(id)).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('deletes a signal committed after its first statement took its snapshot', async () => {
    const { s, applicationName } = namedStore();
    try {
      const id = await newExecution(s);
      await s.setExecutionStatus(id, 'cancelled');
      // Holding the node row makes the purge wait inside its first statement, after it
      // took its snapshot and locked the execution.
      const nodeHolder = await transaction();
      await nodeHolder.client.query(
        `SELECT 1 FROM "${schema}".node_states WHERE execution_id = $1 FOR UPDATE`,
        [id],
      );
      const purging = s.purgeExecutions({
        finishedBefore: new Date(Date.now() + 86_400_000).toISOString(),
      });
      purging.catch(() => {}); // awaited below; not unhandled if the wait fails first
      try {
        await untilWaiting(applicationName);
        await admin(insertSignal, [id, 'late', '"late"']);
        expect(await signalRows(id)).toBe(1);
      } finally {
        await nodeHolder.end();
      }
      expect(await purging).toBeGreaterThanOrEqual(1);
      expect(await s.getExecution(id)).toBeNull();
      expect(await signalRows(id)).toBe(0);
    } finally {
      await s.close();
    }
  });
});

import { readFileSync } from 'node:fs';
import {
  compileWorkflow,
  ExecutionNotFoundError,
  InvalidArgumentError,
  type NodeDefinition,
  SpaneError,
  type WorkflowPlan,
} from '@spane/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_TABLE, PostgresExecutionStore } from '../src/index.js';
import { connectionOptions } from '../src/postgres-execution-store.js';
import {
  admin,
  createSchema,
  DATABASE_URL,
  dropSchema,
  schemaName,
  store,
  watchQueries,
} from './helpers.js';

const schema = schemaName();
const extraSchemas: string[] = [];

beforeAll(async () => {
  await createSchema(schema);
});

afterAll(async () => {
  await Promise.all([schema, ...extraSchemas].map(dropSchema));
});

let wf = 0;
function plan(nodes: NodeDefinition[]): WorkflowPlan {
  wf += 1;
  return compileWorkflow({ id: `pg-test-${wf}-${Date.now()}`, name: 'pg test', nodes });
}

const node = (id: string, inputs?: string[]): NodeDefinition =>
  inputs ? { id, type: 'x', inputs } : { id, type: 'x' };

function chain(length: number): WorkflowPlan {
  return plan(Array.from({ length }, (_, i) => node(`N${i}`, i === 0 ? undefined : [`N${i - 1}`])));
}

async function expectInvalid(promise: Promise<unknown>, text = 'U+0000'): Promise<void> {
  const error = await promise.then(
    () => expect.fail('expected InvalidArgumentError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as Error).message).toContain(text);
}

describe('migrate()', () => {
  it('is safe twice in a row and from three stores at once', async () => {
    const fresh = schemaName();
    extraSchemas.push(fresh);
    const stores = [store(fresh), store(fresh), store(fresh)];
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      await stores[0]!.migrate();
      await Promise.all(stores.map((s) => s.migrate()));
      const applied = await admin(`SELECT count(*)::int AS n FROM "${fresh}".${MIGRATIONS_TABLE}`);
      const journal = JSON.parse(
        readFileSync(new URL('../drizzle/meta/_journal.json', import.meta.url), 'utf8'),
      ) as { entries: unknown[] };
      expect(journal.entries.length).toBeGreaterThan(1);
      expect(applied.rows[0]!.n).toBe(journal.entries.length);
      const tables = await admin(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [fresh],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        MIGRATIONS_TABLE,
        'api_keys',
        'dlq',
        'execution_signals',
        'executions',
        'logs',
        'node_states',
        'secret_data_keys',
        'secrets',
        'spans',
        'workflow_heads',
        'workflows',
      ]);
      const p = chain(2);
      expect((await stores[1]!.saveWorkflow(p)).created).toBe(true);
      expect((await stores[2]!.getWorkflow(p.workflowId))?.version).toBe(p.version);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses a server older than PostgreSQL 13 with a SpaneError', async () => {
    const client = {
      query: async () => ({ rows: [{ server_version_num: '120015' }] }),
      release: () => {},
      on: () => {},
    };
    const pool = {
      on: () => pool,
      off: () => pool,
      connect: async () => client,
    } as unknown as pg.Pool;
    const s = new PostgresExecutionStore({ pool });
    const error = await s.migrate().then(
      () => expect.fail('expected a SpaneError'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SpaneError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((error as Error).message).toMatch(/PostgreSQL 13/);
    await s.close();
  });
});

describe('options', () => {
  it('rejects a schema name that is not a plain identifier', () => {
    expect(() => store('bad"schema')).toThrow(InvalidArgumentError);
    expect(() => store('1abc')).toThrow(InvalidArgumentError);
  });

  it("keeps the server settings of poolConfig.options, else of PGOPTIONS, before the store's own", async () => {
    const readOnly = '-c default_transaction_read_only=on';
    expect(connectionOptions(` ${readOnly} `, 'x')).toBe(
      `${readOnly} -c search_path="x" -c plan_cache_mode=force_generic_plan -c enable_seqscan=off`,
    );
    expect(connectionOptions('', 'x')).toBe(connectionOptions(undefined, 'x'));
    // A read-only setting of the caller's reaches the connections: writes are refused.
    const refused = async (s: PostgresExecutionStore) => {
      try {
        const err = await s.saveWorkflow(chain(1)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(String((err as Error | undefined)?.message)).toMatch(/read-only/);
        // Reads still work.
        expect(await s.getWorkflow('none')).toBeNull();
      } finally {
        await s.close();
      }
    };
    await refused(
      new PostgresExecutionStore({
        connectionString: DATABASE_URL,
        schema,
        poolConfig: { max: 1, options: readOnly },
      }),
    );
    const saved = process.env.PGOPTIONS;
    process.env.PGOPTIONS = readOnly;
    try {
      await refused(
        new PostgresExecutionStore({
          connectionString: DATABASE_URL,
          schema,
          poolConfig: { max: 1 },
        }),
      );
    } finally {
      if (saved === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = saved;
    }
  });

  it('uses a pool passed in (whatever its search_path) and leaves it open', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    try {
      const s = new PostgresExecutionStore({ pool, schema });
      const p = chain(1);
      await s.saveWorkflow(p);
      const { execution } = await s.createExecution({ plan: p });
      expect((await s.getExecution(execution.executionId))?.status).toBe('pending');
      await s.close();
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await pool.end();
    }
  });
});

describe('data', () => {
  it('refuses U+0000 in JSON values and text with InvalidArgumentError and stays usable', async () => {
    const s = store(schema);
    try {
      const p = chain(2);
      await s.saveWorkflow(p);
      await expectInvalid(s.createExecution({ plan: p, initialData: { a: ['ok', 'x\u0000y'] } }));
      await expectInvalid(s.createExecution({ plan: p, initialData: { 'k\u0000': 1 } }));
      await expectInvalid(s.createExecution({ plan: p, metadata: { m: '\u0000' } }));
      await expectInvalid(s.createExecution({ plan: p, idempotencyKey: 'key\u0000' }));

      const id = (await s.createExecution({ plan: p, initialData: 'a \\u0000 b' })).execution
        .executionId;
      expect((await s.getExecution(id))?.initialData, 'a backslash-u text is fine').toBe(
        'a \\u0000 b',
      );
      await s.beginNodeRun(p, id, 'N0');
      await expectInvalid(
        s.completeNode(p, id, 'N0', { type: 'completed', data: { out: '\u0000' } }),
        'data of node',
      );
      await expectInvalid(s.completeNode(p, id, 'N0', { type: 'failed', error: 'bad \u0000' }));
      await expectInvalid(s.updateExecutionMetadata(id, { x: '\u0000' }));
      await expectInvalid(
        s.appendLogs([
          {
            executionId: id,
            level: 'info',
            message: 'm',
            meta: { v: '\u0000' },
            timestamp: new Date().toISOString(),
          },
        ]),
      );
      await expectInvalid(
        s.addDLQItem({
          workflowId: 'w',
          executionId: id,
          nodeId: 'N0',
          error: '\u0000',
          attempts: 1,
        }),
      );
      const state = await s.getExecution(id);
      expect(state?.nodeResults.N0?.status, 'nothing was recorded').toBe('running');
      const done = await s.completeNode(p, id, 'N0', { type: 'completed', data: 'fine' });
      expect(done).toMatchObject({ recorded: true, ready: ['N1'] });
    } finally {
      await s.close();
    }
  });

  it('keeps JSON null apart from absent data', async () => {
    const s = store(schema);
    try {
      const p = chain(3);
      await s.saveWorkflow(p);
      const absent = (await s.createExecution({ plan: p })).execution.executionId;
      const nul = (await s.createExecution({ plan: p, initialData: null })).execution.executionId;
      const a = await s.getExecution(absent);
      expect(a && 'initialData' in a).toBe(false);
      expect((await s.getExecution(nul))?.initialData).toBeNull();
      const begun = await s.beginNodeRun(p, nul, 'N0');
      expect(begun).toMatchObject({ started: true, initialData: null, inputData: null });

      await s.completeNode(p, nul, 'N0', { type: 'completed', data: null });
      await s.beginNodeRun(p, nul, 'N1');
      await s.completeNode(p, nul, 'N1', { type: 'completed' });
      const state = await s.getExecution(nul);
      expect(state?.nodeResults.N0 && 'data' in state.nodeResults.N0).toBe(true);
      expect(state?.nodeResults.N0?.data).toBeNull();
      expect(state?.nodeResults.N1 && 'data' in state.nodeResults.N1).toBe(false);
      const n2 = await s.beginNodeRun(p, nul, 'N2');
      expect(n2.started && n2.previousResults).toEqual({ N1: { success: true } });

      const item = await s.addDLQItem({
        workflowId: p.workflowId,
        executionId: nul,
        nodeId: 'N2',
        error: 'e',
        attempts: 1,
        inputData: null,
      });
      expect((await s.getDLQItem(item.id))?.inputData).toBeNull();
    } finally {
      await s.close();
    }
  });
});

/** Waits until a backend of `applicationName` waits for a lock, then terminates it. */
async function terminateWhenWaiting(applicationName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await admin(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
       WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [applicationName],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no backend waited for the lock');
}

describe('connections', () => {
  it('survives terminated backends: the next operations succeed', async () => {
    const applicationName = `spane-test-${schemaName()}`;
    const errors: Error[] = [];
    const s = store(schema, {
      poolConfig: { application_name: applicationName, max: 4 },
      onConnectionError: (e) => errors.push(e),
    });
    try {
      // N1 selects N2 only (so completing it takes the two-round-trip path); X is skipped.
      const p = plan([node('N0'), node('N1', ['N0']), node('N2', ['N1']), node('X', ['N1'])]);
      await s.saveWorkflow(p);
      const id = (await s.createExecution({ plan: p })).execution.executionId;
      // Open several connections, then leave them idle in the pool.
      await Promise.all(Array.from({ length: 4 }, () => s.getExecution(id)));
      const killed = await admin(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
         WHERE application_name = $1 AND pid <> pg_backend_pid()`,
        [applicationName],
      );
      expect(killed.rows.length).toBeGreaterThan(0);

      // A read right away is re-run on a new connection.
      expect((await s.getExecution(id))?.status).toBe('pending');
      // Writes too, once the pool has seen the dropped connections.
      const deadline = Date.now() + 5000;
      while (errors.length < killed.rows.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await s.beginNodeRun(p, id, 'N0')).toMatchObject({ started: true, attempt: 1 });
      expect(await s.completeNode(p, id, 'N0', { type: 'completed' })).toMatchObject({
        recorded: true,
        ready: ['N1'],
      });

      // A backend killed while the store waits inside a transaction it has not committed:
      // the transaction rolled back, so the store runs it again on a new connection.
      await s.beginNodeRun(p, id, 'N1');
      const holder = new pg.Client({ connectionString: DATABASE_URL });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(
          `SELECT 1 FROM "${schema}".executions WHERE execution_id = $1 FOR UPDATE`,
          [id],
        );
        const completing = s.completeNode(p, id, 'N1', {
          type: 'completed',
          data: 1,
          nextNodes: ['N2'],
        });
        await terminateWhenWaiting(applicationName);
        await holder.query('COMMIT');
        expect(await completing).toMatchObject({
          recorded: true,
          ready: ['N2'],
          skipped: [{ nodeId: 'X', reason: 'not-selected' }],
        });

        // Killed while a batch that ends in COMMIT is in flight: the outcome is unknown to
        // the store, so it reports the error instead of running the batch again.
        // (beginNodeRun waits for the node row's lock.)
        await holder.query('BEGIN');
        await holder.query(
          `SELECT 1 FROM "${schema}".node_states WHERE execution_id = $1 AND node_id = 'N2'
           FOR UPDATE`,
          [id],
        );
        const beginning = s.beginNodeRun(p, id, 'N2').then(
          () => undefined,
          (error: unknown) => error,
        );
        await terminateWhenWaiting(applicationName);
        await holder.query('COMMIT');
        expect(await beginning).toMatchObject({ code: '57P01' });
      } finally {
        await holder.end();
      }
      const state = await s.getExecution(id);
      expect(state?.nodeResults.N1).toMatchObject({ status: 'completed', data: 1 });
      expect(state?.nodeResults.N2?.status, 'the killed transaction changed nothing').toBe(
        'queued',
      );
      expect(await s.beginNodeRun(p, id, 'N2')).toMatchObject({ started: true, attempt: 1 });
    } finally {
      await s.close();
    }
  });
});

describe('concurrency', () => {
  it('a 1 → 500 → 1 fan-in completed by all parents at once reports the join ready once', async () => {
    const s = store(schema);
    try {
      const parents = Array.from({ length: 500 }, (_, i) => `P${i}`);
      const p = plan([node('S'), ...parents.map((id) => node(id, ['S'])), node('J', parents)]);
      await s.saveWorkflow(p);
      const id = (await s.createExecution({ plan: p, initialData: { n: 0 } })).execution
        .executionId;
      await s.beginNodeRun(p, id, 'S');
      const first = await s.completeNode(p, id, 'S', { type: 'completed', data: 's' });
      expect(first.ready).toHaveLength(500);

      const begun = await Promise.all(parents.map((n) => s.beginNodeRun(p, id, n)));
      expect(begun.every((b) => b.started && b.inputData === 's')).toBe(true);
      const results = await Promise.all(
        parents.map((n) => s.completeNode(p, id, n, { type: 'completed', data: { from: n } })),
      );
      expect(results.filter((r) => r.recorded)).toHaveLength(500);
      expect(results.filter((r) => r.ready.includes('J'))).toHaveLength(1);
      expect(results.flatMap((r) => r.ready)).toEqual(['J']);
      expect(results.filter((r) => r.finished)).toHaveLength(0);

      const join = await s.beginNodeRun(p, id, 'J');
      expect(join.started && Object.keys(join.inputData as object)).toHaveLength(500);
      const last = await s.completeNode(p, id, 'J', { type: 'completed' });
      expect(last).toMatchObject({ recorded: true, finished: true, executionStatus: 'completed' });
    } finally {
      await s.close();
    }
  });
});

describe('batched completions', () => {
  it('a completion of a missing execution fails alone; the others in flight with it are recorded', async () => {
    const s = store(schema);
    try {
      const p = plan([node('A'), node('B', ['A'])]);
      await s.saveWorkflow(p);
      const ids = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const id = (await s.createExecution({ plan: p })).execution.executionId;
          await s.beginNodeRun(p, id, 'A');
          return id;
        }),
      );
      const settled = await Promise.allSettled([
        ...ids.map((id) => s.completeNode(p, id, 'A', { type: 'completed' })),
        s.completeNode(p, 'no-such-execution', 'A', { type: 'completed' }),
      ]);
      for (const r of settled.slice(0, 5)) {
        expect(r).toMatchObject({ status: 'fulfilled', value: { recorded: true, ready: ['B'] } });
      }
      expect(settled[5]).toMatchObject({ status: 'rejected' });
      expect((settled[5] as PromiseRejectedResult).reason).toBeInstanceOf(ExecutionNotFoundError);
    } finally {
      await s.close();
    }
  });
});

describe('concurrency across stores', () => {
  it('parents of joins completed at once through three stores (three pools): each join ready once, one finish', async () => {
    const stores = [store(schema), store(schema), store(schema)];
    try {
      // S → P0..P299 → J0 (P0..P149), J1 (P150..P299), and duplicates of some completions.
      const parents = Array.from({ length: 300 }, (_, i) => `P${i}`);
      const p = plan([
        node('S'),
        ...parents.map((id) => node(id, ['S'])),
        node('J0', parents.slice(0, 150)),
        node('J1', parents.slice(150)),
      ]);
      await stores[0]!.saveWorkflow(p);
      const id = (await stores[0]!.createExecution({ plan: p })).execution.executionId;
      await stores[0]!.beginNodeRun(p, id, 'S');
      expect((await stores[0]!.completeNode(p, id, 'S', { type: 'completed' })).ready).toHaveLength(
        300,
      );
      await Promise.all(parents.map((n, i) => stores[i % 3]!.beginNodeRun(p, id, n)));
      const complete = (nodes: string[]) =>
        Promise.all(
          nodes.map((n, i) =>
            stores[(i * 7) % 3]!.completeNode(p, id, n, { type: 'completed', data: { from: n } }),
          ),
        );
      // All but the last parent of each join (and 30 duplicates): no join is ready yet.
      const held = ['P149', 'P299'];
      const early = parents.filter((n) => !held.includes(n));
      const first = await complete([...early, ...early.slice(0, 30)]);
      expect(first.filter((r) => r.recorded)).toHaveLength(298);
      expect(first.flatMap((r) => r.ready)).toEqual([]);
      const second = await complete([...held, ...parents.slice(0, 10)]);
      const results = [...first, ...second];
      expect(results.filter((r) => r.recorded)).toHaveLength(300);
      expect(results.flatMap((r) => r.ready).sort()).toEqual(['J0', 'J1']);
      expect(results.filter((r) => r.finished)).toHaveLength(0);
      const state = await stores[1]!.getExecution(id);
      expect(state?.nodeResults.J0?.status).toBe('queued');
      expect(state?.nodeResults.J1?.status).toBe('queued');
      for (const j of ['J0', 'J1']) await stores[2]!.beginNodeRun(p, id, j);
      const last = await Promise.all(
        ['J0', 'J1'].map((j, i) => stores[i]!.completeNode(p, id, j, { type: 'completed' })),
      );
      expect(last.filter((r) => r.finished)).toHaveLength(1);
      expect((await stores[2]!.getExecution(id))?.status).toBe('completed');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('listActiveNodes', () => {
  it('pages by node id, whatever the definition order', async () => {
    const fresh = schemaName();
    extraSchemas.push(fresh);
    await createSchema(fresh);
    const s = store(fresh);
    try {
      const p = plan([node('Z'), node('M'), node('A')]);
      await s.saveWorkflow(p);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push((await s.createExecution({ plan: p })).execution.executionId);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.listActiveNodes({ limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((n) => `${n.executionId}/${n.nodeId}`));
        cursor = page.nextCursor;
      } while (cursor !== undefined && seen.length < 20);
      expect(seen).toEqual(ids.flatMap((id) => ['A', 'M', 'Z'].map((n) => `${id}/${n}`)));
      await expect(s.listActiveNodes({ cursor: 'nope' })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    } finally {
      await s.close();
    }
  });
});

/** Every node of an EXPLAIN (FORMAT JSON) plan, with whether it is on the inner side of a nested loop. */
function planNodes(
  node: Record<string, unknown>,
  inner = false,
  out: { node: Record<string, unknown>; inner: boolean }[] = [],
) {
  out.push({ node, inner });
  const children = (node.Plans ?? []) as Record<string, unknown>[];
  const loop = String(node['Node Type']) === 'Nested Loop';
  children.forEach((child, i) => {
    // A nested loop re-runs its inner child (the second one, not an InitPlan/SubPlan) per outer row.
    const rerun = loop && i === 1 && child['Parent Relationship'] === 'Inner';
    planNodes(child, inner || rerun, out);
  });
  return out;
}

describe('plans of the node-run statements', () => {
  it('reach executions and node rows by primary key, and never re-scan a parameter array per row', async () => {
    // The statements the store prepares, as it sends them.
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    const texts = new Map<string, string>();
    watchQueries(pool, (config) => {
      const { name, text } = config as { name?: string; text?: string };
      if (name && text) texts.set(name, text);
    });
    const s = new PostgresExecutionStore({ pool, schema });
    const explainer = new pg.Client({
      connectionString: DATABASE_URL,
      // The settings of the store's own pool (generic plans), on the test's schema.
      options: connectionOptions(undefined, schema),
    });
    await explainer.connect();
    try {
      const p = plan([node('A'), node('B', ['A']), node('C', ['A']), node('D', ['B', 'C'])]);
      await s.saveWorkflow(p);
      await s.getWorkflow(p.workflowId);
      const id = (await s.createExecution({ plan: p })).execution.executionId;
      await s.beginNodeRun(p, id, 'A');
      await s.completeNode(p, id, 'A', { type: 'completed', data: 1 });
      expect(texts.size, 'workflow read, create, begin, complete').toBe(4);

      for (const [name, text] of texts) {
        const params = Math.max(...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
        await explainer.query(`PREPARE ${name} AS ${text}`);
        const { rows } = await explainer.query(
          `EXPLAIN (FORMAT JSON) EXECUTE ${name}(${Array(params).fill('NULL').join(', ')})`,
        );
        const root = (rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan;
        for (const { node: n, inner } of planNodes(root)) {
          const type = String(n['Node Type']);
          const index = n['Index Name'];
          if (typeof index === 'string' && /^(executions|node_states)_/.test(index)) {
            // E.g. not the partial index of active executions, which grows with the load.
            expect(index, `${type} in ${text.slice(0, 60)}`).toMatch(
              /^(executions_pkey|node_states_execution_id_node_id_pk)$/,
            );
          }
          if (type === 'Seq Scan') expect.fail(`a sequential scan in ${text.slice(0, 60)}`);
          if (inner) {
            expect(type, `a parameter array re-scanned per row in ${text.slice(0, 60)}`).not.toBe(
              'Function Scan',
            );
          }
        }
      }
    } finally {
      await explainer.end();
      await s.close();
      await pool.end();
    }
  });
});

describe('round trips', () => {
  it('beginNodeRun takes one round trip, completeNode one when every edge fires, else two', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    let queries = 0;
    watchQueries(pool, () => {
      queries += 1;
    });
    const s = new PostgresExecutionStore({ pool, schema });
    try {
      const p = plan([node('A'), node('B', ['A']), node('C', ['A']), node('D', ['B', 'C'])]);
      await s.saveWorkflow(p);
      const id = (await s.createExecution({ plan: p })).execution.executionId;
      const count = async (work: () => Promise<unknown>) => {
        const before = queries;
        await work();
        return queries - before;
      };
      expect(await count(() => s.beginNodeRun(p, id, 'A'))).toBe(1);
      expect(await count(() => s.completeNode(p, id, 'A', { type: 'completed' }))).toBe(1);
      expect(await count(() => s.beginNodeRun(p, id, 'B'))).toBe(1);
      expect(await count(() => s.completeNode(p, id, 'B', { type: 'completed' }))).toBe(1);
      expect(await count(() => s.beginNodeRun(p, id, 'C'))).toBe(1);
      expect(
        await count(() => s.completeNode(p, id, 'C', { type: 'completed', nextNodes: [] })),
        'C selects no child: D is decided from its parents',
      ).toBe(2);
      expect(await count(() => s.createExecution({ plan: p }))).toBe(1);
      expect(await count(() => s.getExecution(id))).toBe(1);
      expect(await count(() => s.setExecutionStatus(id, 'paused'))).toBe(1);
      expect(await count(() => s.completeNode(p, id, 'B', { type: 'completed' })), 'refused').toBe(
        1,
      );
    } finally {
      await s.close();
      await pool.end();
    }
  });

  it('a skip cascade reads the further rows it needs', async () => {
    const s = store(schema);
    try {
      // A → B → C → D, A → E; completing A with nextNodes [E] skips B, C and D.
      const p = plan([
        node('A'),
        node('B', ['A']),
        node('C', ['B']),
        node('D', ['C']),
        node('E', ['A']),
      ]);
      await s.saveWorkflow(p);
      const id = (await s.createExecution({ plan: p })).execution.executionId;
      await s.beginNodeRun(p, id, 'A');
      const a = await s.completeNode(p, id, 'A', { type: 'completed', nextNodes: ['E'] });
      expect(a.ready).toEqual(['E']);
      expect(a.skipped).toEqual([
        { nodeId: 'B', reason: 'not-selected' },
        { nodeId: 'C', reason: 'upstream-skipped' },
        { nodeId: 'D', reason: 'upstream-skipped' },
      ]);
      await s.beginNodeRun(p, id, 'E');
      const e = await s.completeNode(p, id, 'E', { type: 'completed' });
      expect(e).toMatchObject({ finished: true, executionStatus: 'completed' });
    } finally {
      await s.close();
    }
  });
});

describe('throughput', () => {
  it('runs a 1,000-node chain (begin + complete per node)', async () => {
    const s = store(schema);
    try {
      const length = 1000;
      const p = chain(length);
      await s.saveWorkflow(p);
      const id = (await s.createExecution({ plan: p, initialData: { seed: 1 } })).execution
        .executionId;
      const started = performance.now();
      for (let i = 0; i < length; i++) {
        const nodeId = `N${i}`;
        const begun = await s.beginNodeRun(p, id, nodeId);
        if (!begun.started) throw new Error(`${nodeId} did not start`);
        await s.completeNode(p, id, nodeId, { type: 'completed', data: { i } });
      }
      const perNode = (performance.now() - started) / length;
      console.log(`store-postgres: ${perNode.toFixed(3)} ms per node (begin + complete)`);
      expect((await s.getExecution(id))?.status).toBe('completed');
      expect(perNode).toBeLessThan(50);
    } finally {
      await s.close();
    }
  });
});

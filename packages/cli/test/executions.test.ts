import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  type CliOptions,
  runCli,
  startTestServer,
  type TestServer,
  until,
} from './support/cli-harness.js';

let server: TestServer;
let env: CliOptions['env'];

const flaky = {
  id: 'flaky',
  name: 'Fails once, then works',
  nodes: [
    { id: 'start', type: 'noop' },
    { id: 'call', type: 'flaky', inputs: ['start'], retry: { attempts: 1 } },
    { id: 'after', type: 'noop', inputs: ['call'] },
  ],
};

const holding = { id: 'holding', name: 'Holds', nodes: [{ id: 'hold', type: 'hold' }] };

beforeAll(async () => {
  server = await startTestServer();
  env = { SPANE_URL: server.url, SPANE_API_KEY: API_KEY };
  await server.server.engine.registerWorkflow(flaky);
  await server.server.engine.registerWorkflow(holding);
  await server.server.engine.registerWorkflow({
    id: 'approval',
    name: 'Waits for an approval',
    nodes: [{ id: 'approve', type: 'wait-for-signal', config: { name: 'approval' } }],
  });
});
afterAll(() => server?.stop());

/** Starts a run of the `holding` workflow and waits until its node runs. */
async function startHolding(): Promise<string> {
  const id = await server.server.engine.enqueueWorkflow('holding', {});
  await until('the node to run', async () =>
    (await server.server.engine.getExecution(id))?.nodeResults.hold?.status === 'running'
      ? true
      : undefined,
  );
  return id;
}

describe('spane executions', () => {
  it('cancel cancels a running execution; cancelling it again is refused with exit 1', async () => {
    const id = await startHolding();
    const result = await runCli(['executions', 'cancel', id], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`execution ${id} cancelled\n`);
    expect((await server.server.engine.getExecution(id))!.status).toBe('cancelled');

    const again = await runCli(['executions', 'cancel', id], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^spane: INVALID_TRANSITION: /);

    const wait = await runCli(['executions', 'wait', id], { env });
    expect(wait.code).toBe(1);
    expect(wait.stdout).toMatch(new RegExp(`^execution ${id} cancelled in `));
  });

  it('signal completes a wait-for-signal node with --data; a second signal is refused with exit 1', async () => {
    const id = await server.server.engine.enqueueWorkflow('approval', {});
    await until('the node to wait', async () =>
      (await server.server.engine.getExecution(id))?.nodeResults.approve?.status === 'delayed'
        ? true
        : undefined,
    );
    const result = await runCli(['signal', id, 'approval', '--data', '{"approved":true}'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`signal 'approval' sent to execution ${id}\n`);
    const state = await server.server.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.nodeResults.approve?.data).toEqual({ approved: true });

    const again = await runCli(['signal', id, 'approval'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^spane: SIGNAL_REJECTED: /);
    const bad = await runCli(['signal', id, 'approval', '--data', '{'], { env });
    expect(bad.code).toBe(2);
  });

  it('get shows the status and nodes of an execution, and its whole state with --json', async () => {
    const id = await startHolding();
    const text = await runCli(['executions', 'get', id], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`^execution +${id}\nworkflow +holding \\(version \\w+\\)\nstatus +running\n`),
    );
    expect(text.stdout).toMatch(/\nNODE +STATUS +ATTEMPTS +ERROR\nhold +running +1\n/);

    const json = await runCli(['executions', 'get', id, '--json'], { env });
    expect(JSON.parse(json.stdout)).toEqual(
      JSON.parse(JSON.stringify(await server.server.engine.getExecution(id))),
    );
    await server.server.engine.cancelWorkflow(id);

    const missing = await runCli(['executions', 'get', 'no-such-execution'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^spane: EXECUTION_NOT_FOUND: /);
  });

  it('retry-dlq runs a dead-lettered node again and the execution completes', async () => {
    const run = await runCli(['run', 'flaky', '--wait', '--json'], { env });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.status).toBe('failed');
    const [item] = report.dlqItems as { id: string; nodeId: string }[];
    expect(item).toMatchObject({ nodeId: 'call' });

    const list = await runCli(['dlq', 'list'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID +WORKFLOW +EXECUTION +NODE +FAILED +ERROR\n/);
    expect(list.stdout).toMatch(
      new RegExp(
        `\n${item!.id} +flaky +${report.executionId} +call +[-\\d]+ [:\\d]+Z +flaky: the first run fails\n`,
      ),
    );

    const retry = await runCli(['executions', 'retry-dlq', item!.id], { env });
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toBe(`retrying ${item!.id} in execution ${report.executionId}\n`);

    const wait = await runCli(['executions', 'wait', report.executionId, '--timeout', '20'], {
      env,
    });
    expect(wait.code).toBe(0);
    expect(wait.stdout).toMatch(
      new RegExp(`^execution ${report.executionId} completed in .*: 3 nodes \\(3 completed\\)\n`),
    );

    const gone = await runCli(['executions', 'retry-dlq', item!.id], { env });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^spane: DLQ_ITEM_NOT_FOUND: /);
  });

  it('list shows executions newest first, filtered by workflow and status', async () => {
    const done = await runCli(['run', 'flaky', '--wait'], { env });
    expect(done.code).toBe(1);
    // At least three executions, so that a page of one has a next page after the second.
    await server.server.engine.enqueueWorkflow('flaky', {});
    await server.server.engine.enqueueWorkflow('flaky', {});
    const result = await runCli(
      ['executions', 'list', '--workflow', 'flaky', '--status', 'failed'],
      {
        env,
      },
    );
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +WORKFLOW +STATUS +CREATED +TIME$/);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/^\S+ +flaky +failed +/);

    const json = await runCli(['executions', 'list', '--json', '--limit', '1'], { env });
    const first = JSON.parse(json.stdout);
    expect(first.items).toHaveLength(1);
    const next = await runCli(
      ['executions', 'list', '--limit', '1', '--cursor', first.nextCursor],
      {
        env,
      },
    );
    expect(next.code).toBe(0);
    expect(next.stdout).not.toContain(first.items[0].executionId);
    expect(next.stderr).toMatch(/^more: --cursor \S+\n$/);

    const bad = await runCli(['executions', 'list', '--status', 'sleeping'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^spane: unknown status 'sleeping'\n\nUsage: spane executions list/);
  });

  it('list --created-after keeps executions created at or after it, --created-before those before it', async () => {
    const first = await server.server.engine.enqueueWorkflow('holding', {});
    const second = await server.server.engine.enqueueWorkflow('holding', {});
    for (const id of [first, second]) await server.server.engine.cancelWorkflow(id);
    const at = (await server.server.engine.getExecution(second))!.createdAt;
    const ids = async (...flags: string[]) => {
      const result = await runCli(
        ['executions', 'list', '--workflow', 'holding', '--json', '--limit', '1000', ...flags],
        { env },
      );
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout).items as { executionId: string; createdAt: string }[]).map(
        (e) => e.executionId,
      );
    };
    const after = await ids('--created-after', at);
    expect(after).toContain(second);
    const before = await ids('--created-before', at);
    expect(before).not.toContain(second);
    expect([...after, ...before].sort()).toEqual((await ids()).sort());
    expect(await ids('--created-after', at, '--created-before', at)).toEqual([]);

    const bad = await runCli(['executions', 'list', '--created-after', 'yesterday'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^spane: BAD_REQUEST: .*createdAfter/);
  });
});

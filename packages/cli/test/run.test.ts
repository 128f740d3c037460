import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  type CliOptions,
  runCli,
  startCli,
  startTestServer,
  type TestServer,
  until,
} from './support/cli-harness.js';

let server: TestServer;
let env: CliOptions['env'];

const paidOrder = { order: { id: 7, status: 'paid' }, customer: { name: 'Ada' } };

const failing = {
  id: 'failing',
  name: 'Fails at its second node',
  nodes: [
    { id: 'prepare', type: 'noop' },
    { id: 'charge', type: 'fail', inputs: ['prepare'], config: { message: 'card declined' } },
  ],
};

const holding = {
  id: 'holding',
  name: 'Holds until cancelled',
  nodes: [{ id: 'hold', type: 'hold' }],
};

beforeAll(async () => {
  server = await startTestServer();
  env = { SPANE_URL: server.url, SPANE_API_KEY: API_KEY };
  const register = await runCli(
    ['workflows', 'register', 'apps/server/workflows/order-routing.json'],
    { env },
  );
  expect(register.code).toBe(0);
  await server.server.engine.registerWorkflow(failing);
  await server.server.engine.registerWorkflow(holding);
});
afterAll(() => server?.stop());

/** The execution id of `execution <id>`, the first stderr line of `run --wait`. */
function executionIdOf(stderr: string): string | undefined {
  return /^execution (\S+)\n/.exec(stderr)?.[1];
}

describe('spane run', () => {
  it('starts an execution and prints only its id', async () => {
    const result = await runCli(['run', 'order-routing', '--data', JSON.stringify(paidOrder)], {
      env,
    });
    expect(result.code).toBe(0);
    const id = result.stdout.trim();
    expect(result.stdout).toBe(`${id}\n`);
    const state = await server.server.engine.getExecution(id);
    expect(state).toMatchObject({ workflowId: 'order-routing', initialData: paidOrder });
  });

  it('--wait follows a run to completed: progress on stderr, outcome and output on stdout, exit 0', async () => {
    const result = await runCli(
      ['run', 'order-routing', '--data', JSON.stringify(paidOrder), '--wait'],
      { env },
    );
    expect(result.code).toBe(0);
    const id = executionIdOf(result.stderr);
    expect(id).toBeDefined();
    // Not a terminal: plain progress lines, one per change at most every second.
    expect(result.stderr).toMatch(/\n(pending|running|completed) \d\/4 nodes · \d+(ms|\.\ds)/);
    expect(result.stderr).not.toContain('\r');
    const [outcome, outputLabel, ...output] = result.stdout.trimEnd().split('\n');
    expect(outcome).toMatch(
      new RegExp(
        `^execution ${id} completed in \\d+(ms|\\.\\ds): 4 nodes \\(3 completed, 1 skipped\\)$`,
      ),
    );
    expect(outputLabel).toBe('output:');
    expect(JSON.parse(output.join('\n'))).toEqual({
      ship: { order: { id: 7, status: 'paid' }, customer: {}, name: 'Ada', action: 'ship' },
    });
  });

  it('--wait --json prints one JSON object with status, output and the whole state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spane-cli-run-'));
    const unpaid = { order: { id: 8, status: 'new' }, customer: { name: 'Bo' } };
    writeFileSync(join(dir, 'data.json'), JSON.stringify(unpaid));
    const result = await runCli(
      ['run', 'order-routing', '--data-file', 'data.json', '--wait', '--json'],
      { env, cwd: dir },
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      status: 'completed',
      output: { review: { action: 'review', name: 'Bo' } },
      state: { status: 'completed', initialData: unpaid },
    });
    expect(report.executionId).toBe(executionIdOf(result.stderr));
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('--wait on a failing run prints the error and how to retry the node, exit 1', async () => {
    const result = await runCli(['run', 'failing', '--wait'], { env });
    expect(result.code).toBe(1);
    const id = executionIdOf(result.stderr)!;
    const item = (await server.server.engine.getDLQItems(0, 100)).find((i) => i.executionId === id);
    expect(item).toMatchObject({ nodeId: 'charge' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^execution ${id} failed in .*: 2 nodes \\(1 completed, 1 failed\\)$`),
    );
    expect(lines).toContain('  node charge failed after 1 attempt');
    expect(lines.find((l) => l.startsWith('error: '))).toContain('boom: card declined');
    expect(lines).toContain(`retry node charge: spane executions retry-dlq ${item!.id}`);
  });

  it('--wait ends with exit 1 when the run is cancelled while it waits', async () => {
    const waiting = startCli(['run', 'holding', '--wait'], { env });
    const id = await until('the execution id', () => executionIdOf(waiting.stderr()));
    await until('the node to run', async () =>
      (await server.server.engine.getExecution(id))?.nodeResults.hold?.status === 'running'
        ? true
        : undefined,
    );
    await server.server.engine.cancelWorkflow(id);
    const result = await waiting.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^execution ${id} cancelled in `));
  });

  it('--timeout gives up waiting with exit 3 and leaves the execution running', async () => {
    const result = await runCli(['run', 'holding', '--wait', '--timeout', '0.5'], { env });
    expect(result.code).toBe(3);
    const id = executionIdOf(result.stderr)!;
    expect(result.stderr).toMatch(
      new RegExp(
        `spane: timed out after 0\\.5s waiting for execution ${id}; it was \\w+ 0/1 nodes`,
      ),
    );
    expect(result.stdout).toBe('');
    const state = await server.server.engine.getExecution(id);
    expect(['pending', 'running']).toContain(state!.status);
    await server.server.engine.cancelWorkflow(id);
  });

  it('refuses bad --data before starting anything, exit 2', async () => {
    const before = await server.server.engine.listExecutions({ workflowId: 'order-routing' });
    const result = await runCli(['run', 'order-routing', '--data', '{not json'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^spane: --data is not valid JSON: /);
    const after = await server.server.engine.listExecutions({ workflowId: 'order-routing' });
    expect(after.items.length).toBe(before.items.length);
  });

  it('an unknown workflow is an API error, exit 1', async () => {
    const result = await runCli(['run', 'no-such-workflow', '--wait'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "spane: WORKFLOW_NOT_FOUND: Workflow 'no-such-workflow' not found\n",
    );
  });
});

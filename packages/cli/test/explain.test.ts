import { afterAll, beforeAll, expect, it } from 'vitest';
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

beforeAll(async () => {
  server = await startTestServer();
  env = { SPANE_URL: server.url, SPANE_API_KEY: API_KEY };
  await server.server.engine.registerWorkflow({
    id: 'held',
    name: 'Holds, then a child',
    nodes: [
      { id: 'hold', type: 'hold' },
      { id: 'after', type: 'noop', inputs: ['hold'] },
    ],
  });
});
afterAll(() => server?.stop());

it('explain prints the execution and each unfinished node with its reason', async () => {
  const id = await server.server.engine.enqueueWorkflow('held', {});
  await until('the node to run', async () =>
    (await server.server.engine.getExecution(id))?.nodeResults.hold?.status === 'running'
      ? true
      : undefined,
  );
  const result = await runCli(['explain', id], { env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const lines = result.stdout.split('\n');
  expect(lines[0]).toBe(`execution ${id} (held): execution is running: 2 nodes not finished`);
  expect(lines[1]).toMatch(/^ {2}hold \(hold, running\): running \(attempt 1, since .+\)$/);
  expect(lines[2]).toBe('  after (noop, pending): waiting for its parent hold (running)');

  const json = await runCli(['explain', id, '--json'], { env });
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout).nodes[1].reason).toEqual({
    kind: 'waiting-for-parents',
    parents: [{ nodeId: 'hold', status: 'running' }],
  });
  await server.server.engine.cancelWorkflow(id);
});

it('explain of an unknown execution exits 1 with EXECUTION_NOT_FOUND', async () => {
  const result = await runCli(['explain', '00000000-0000-0000-0000-000000000000'], { env });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^spane: EXECUTION_NOT_FOUND: /);
});

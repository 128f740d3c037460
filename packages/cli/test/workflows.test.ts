import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  type CliOptions,
  REPO_ROOT,
  runCli,
  startTestServer,
  type TestServer,
} from './support/cli-harness.js';

/** The workflow the root README registers: built-in node types only. */
const README_WORKFLOW = 'apps/server/workflows/order-routing.json';

let server: TestServer;
let env: CliOptions['env'];
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  env = { SPANE_URL: server.url, SPANE_API_KEY: API_KEY };
  dir = mkdtempSync(join(tmpdir(), 'spane-cli-'));
});
afterAll(() => server?.stop());

describe('spane workflows', () => {
  it('registers the README workflow from a path relative to the working directory', async () => {
    const result = await runCli(['workflows', 'register', README_WORKFLOW], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const stored = await server.server.engine.getWorkflow('order-routing');
    expect(result.stdout).toBe(`registered order-routing version ${stored!.version}\n`);

    // The same definition again keeps its version.
    const again = await runCli(['workflows', 'register', README_WORKFLOW, '--json'], { env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      workflowId: 'order-routing',
      version: stored!.version,
    });
  });

  it('registers from stdin with -, and from a file in another working directory', async () => {
    const definition = { id: 'piped', name: 'Piped', nodes: [{ id: 'a', type: 'noop' }] };
    const piped = await runCli(['workflows', 'register', '-'], {
      env,
      input: JSON.stringify(definition),
    });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^registered piped version \w+\n$/);

    writeFileSync(join(dir, 'local.json'), JSON.stringify({ ...definition, id: 'local' }));
    const local = await runCli(['workflows', 'register', 'local.json'], { env, cwd: dir });
    expect(local.code).toBe(0);
    expect(local.stdout).toMatch(/^registered local version/);
  });

  it('prints each issue of a rejected definition as "path: message" and exits 1', async () => {
    const bad = {
      id: 'bad id',
      name: 'Bad',
      nodes: [{ id: 'a', type: 'no-such-type', inputs: ['missing'] }],
    };
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const result = await runCli(['workflows', 'register', 'bad.json'], { env, cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^spane: VALIDATION_FAILED: Invalid workflow definition: /);
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}\/id: /),
        expect.stringMatching(/^ {2}\/nodes\/0\/type: .*no-such-type/),
        expect.stringMatching(/^ {2}\/nodes\/0\/inputs\/0: .*missing/),
      ]),
    );
    expect(await server.server.engine.getWorkflow('bad id')).toBeNull();
  });

  it('refuses a file that is missing or not JSON with exit 2, before any request', async () => {
    const missing = await runCli(['workflows', 'register', 'nope.json'], { env, cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('spane: cannot read nope.json: no such file\n');

    writeFileSync(join(dir, 'broken.json'), '{ "id": ');
    const broken = await runCli(['workflows', 'register', 'broken.json'], { env, cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^spane: broken\.json is not valid JSON: /);
  });

  it('lists the workflows as a table and as JSON', async () => {
    await runCli(['workflows', 'register', README_WORKFLOW], { env });
    const table = await runCli(['workflows', 'list'], { env });
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+VERSION\s+NAME\s+UPDATED$/);
    const stored = await server.server.engine.getWorkflow('order-routing');
    expect(rows).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^order-routing\\s+${stored!.version.slice(0, 12)}\\s+Route an order\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
        ),
      ),
    );

    const json = await runCli(['--json', 'workflows', 'list'], { env });
    const items = JSON.parse(json.stdout) as { workflowId: string }[];
    expect(items.map((w) => w.workflowId)).toContain('order-routing');
  });

  it('gets a definition that registers again unchanged, or the stored record with --json', async () => {
    await runCli(['workflows', 'register', README_WORKFLOW], { env });
    const result = await runCli(['workflows', 'get', 'order-routing'], { env });
    expect(result.code).toBe(0);
    const file = JSON.parse(readFileSync(join(REPO_ROOT, README_WORKFLOW), 'utf8'));
    expect(JSON.parse(result.stdout)).toEqual(file);

    const record = await runCli(['workflows', 'get', 'order-routing', '--json'], { env });
    expect(JSON.parse(record.stdout)).toMatchObject({
      workflowId: 'order-routing',
      tenantId: 'default',
      definition: file,
    });
  });

  it('prints an API error as "spane: CODE: message" with exit 1', async () => {
    const result = await runCli(['workflows', 'get', 'no-such-workflow'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "spane: WORKFLOW_NOT_FOUND: Workflow 'no-such-workflow' not found\n",
    );
  });

  it('says to set SPANE_API_KEY when the server wants a key and none is set', async () => {
    const result = await runCli(['workflows', 'list'], { env: { SPANE_URL: server.url } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^spane: UNAUTHORIZED: /);
    expect(result.stderr).toContain('set SPANE_API_KEY');

    const wrong = await runCli(['workflows', 'list'], {
      env: { SPANE_URL: server.url, SPANE_API_KEY: 'not-a-key-of-this-server' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^spane: UNAUTHORIZED: /);
    expect(wrong.stderr).not.toContain('set SPANE_API_KEY');
  });
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHttpHarness, type HttpHarness, KEYS } from './support/http-harness.js';

/**
 * A client generated from the live document works: openapi-typescript turns
 * /docs/json (fetched from a real server on loopback) into `paths` types, a client on
 * openapi-fetch is type-checked against them with the TypeScript compiler, and then it
 * drives the server: register a workflow, execute it, read the execution until it has
 * completed. The files go to a temporary folder under node_modules/.cache, so that
 * `openapi-fetch` resolves from there as it would in a project.
 */

const CACHE = fileURLToPath(new URL('../node_modules/.cache/', import.meta.url));

const GOOD_CLIENT = `
import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

type Execution = components['schemas']['ExecutionState'];

export async function registerExecuteRead(
  baseUrl: string,
  apiKey: string,
  deadlineMs: number,
): Promise<{ version: string; execution: Execution }> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: 'Bearer ' + apiKey } });
  const registered = await client.POST('/api/workflows', {
    body: {
      id: 'typed-client',
      name: 'Typed client',
      nodes: [
        { id: 'first', type: 'echo' },
        { id: 'second', type: 'echo', inputs: ['first'], retry: { attempts: 2 } },
      ],
    },
  });
  if (registered.error) throw new Error('register: ' + registered.error.error.code);
  const version: string = registered.data.version;

  const started = await client.POST('/api/workflows/{id}/execute', {
    params: { path: { id: 'typed-client' } },
    body: { initialData: { order: { id: 'o-1001' } }, options: { priority: 1 } },
  });
  if (started.error) throw new Error('execute: ' + started.error.error.code);
  const executionId: string = started.data.executionId;

  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const read = await client.GET('/api/executions/{id}', {
      params: { path: { id: executionId } },
    });
    if (read.error) throw new Error('read: ' + read.error.error.code);
    const status: Execution['status'] = read.data.status;
    if (status === 'completed' || status === 'failed' || status === 'cancelled') {
      return { version, execution: read.data };
    }
    if (Date.now() > deadline) throw new Error('still ' + status);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
`;

/** Three mistakes the generated types must catch (an unknown field in a body is the server's to refuse). */
const BAD_CLIENT = `
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

export async function wrong(baseUrl: string): Promise<string> {
  const client = createClient<paths>({ baseUrl });
  // A priority must be a number.
  await client.POST('/api/workflows/{id}/execute', {
    params: { path: { id: 'x' } },
    body: { initialData: { order: { id: 'o-1' } }, options: { priority: 'high' } },
  });
  // A route that does not exist.
  await client.GET('/api/workflow/{id}', { params: { path: { id: 'x' } } });
  const read = await client.GET('/api/executions/{id}', { params: { path: { id: 'x' } } });
  // A field the response does not have.
  return read.data?.executionStatus ?? '';
}
`;

let h: HttpHarness;
let baseUrl = '';
let dir = '';

/**
 * Compiles client files against the generated types (as `tsc --noEmit --strict` would,
 * with Node's types for `fetch`) and gives the type errors of each, by file name.
 */
function typeErrors(files: string[]): Record<string, string[]> {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
  });
  const errors: Record<string, string[]> = {};
  for (const file of files) {
    errors[file] = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }
  return errors;
}

beforeAll(async () => {
  h = await createHttpHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  mkdirSync(CACHE, { recursive: true });
  dir = mkdtempSync(join(CACHE, 'typed-client-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  // Generated from the document as the running server serves it.
  const types = astToString(await openapiTS(new URL(`${baseUrl}/docs/json`)));
  writeFileSync(join(dir, 'api.d.ts'), types);
  writeFileSync(join(dir, 'client.ts'), GOOD_CLIENT);
  writeFileSync(join(dir, 'bad-client.ts'), BAD_CLIENT);
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await h?.close();
});

it('generates paths types for every route of the document', async () => {
  const doc = (await (await fetch(`${baseUrl}/docs/json`)).json()) as { paths: object };
  const types = readFileSync(join(dir, 'api.d.ts'), 'utf8');
  expect(types).toContain('export interface paths');
  for (const path of Object.keys(doc.paths)) expect(types).toContain(`"${path}": {`);
});

it('type-checks a client written against them, and refuses one with type errors', () => {
  const good = join(dir, 'client.ts');
  const bad = join(dir, 'bad-client.ts');
  const errors = typeErrors([good, bad]);
  expect(errors[good]).toEqual([]);
  const text = errors[bad]?.join('\n') ?? '';
  expect(text).toMatch(/'string' is not assignable to type 'number'/);
  expect(text).toMatch(/"\/api\/workflow\/\{id\}"/);
  expect(text).toMatch(/'executionStatus' does not exist/);
  expect(errors[bad]).toHaveLength(3);
});

it('drives the server: register, execute, read the execution until it completes', async () => {
  const source = ts.transpileModule(GOOD_CLIENT, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = join(dir, 'client.mjs');
  writeFileSync(file, source);
  const client = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as {
    registerExecuteRead(
      baseUrl: string,
      apiKey: string,
      deadlineMs: number,
    ): Promise<{ version: string; execution: Record<string, any> }>;
  };
  const { version, execution } = await client.registerExecuteRead(baseUrl, KEYS.adminA, 15_000);
  expect(version).toMatch(/^[0-9a-f]+$/);
  expect(execution.status).toBe('completed');
  expect(execution.workflowVersion).toBe(version);
  expect(execution.tenantId).toBe('tenant-a');
  expect(execution.priority).toBe(1);
  expect(execution.nodeResults.second).toMatchObject({
    status: 'completed',
    data: { order: { id: 'o-1001' } },
  });
});

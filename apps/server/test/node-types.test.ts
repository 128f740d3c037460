import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { serverConfigs } from './support/test-config.js';

const KEY = 'server-node-types-key-0001';
const config = serverConfigs('node-types', KEY, { SPANE_ROLE: 'api', LOG_LEVEL: 'warn' });
let server: RunningServer;

beforeAll(async () => {
  server = await startServer(config(), { logStream: { write: () => {} } });
});

afterAll(async () => {
  await server?.close();
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text };
}

/** The `[path, code, message]` of each issue of a 422 body. */
function issueRows(body: {
  error: { details: { issues: { path: string; code: string; message: string }[] } };
}): [string, string, string][] {
  return body.error.details.issues.map((i) => [i.path, i.code, i.message]);
}

describe("the server's node types", () => {
  it('refuses a switch without path, an http without url and a transform with pik (422, pointers)', async () => {
    const res = await api('POST', '/api/workflows', {
      id: 'typos',
      name: 'typos',
      nodes: [
        { id: 'route', type: 'switch', config: { cases: { a: ['call'] } } },
        { id: 'call', type: 'http', inputs: ['route'], config: { method: 'POST' } },
        { id: 'shape', type: 'transform', inputs: ['call'], config: { pik: ['body'] } },
        { id: 'wait', type: 'delay', inputs: ['shape'], config: {} },
      ],
    });
    expect(res.status, res.text).toBe(422);
    expect(res.json.error.code).toBe('VALIDATION_FAILED');
    expect(issueRows(res.json)).toEqual([
      ['/nodes/0/config', 'INVALID_NODE_CONFIG', "'path' is required"],
      ['/nodes/1/config', 'INVALID_NODE_CONFIG', "'url' is required"],
      ['/nodes/2/config/pik', 'INVALID_NODE_CONFIG', "unknown option 'pik'"],
      [
        '/nodes/3/config',
        'INVALID_NODE_CONFIG',
        'config must be either { durationMs } or { until }',
      ],
    ]);
    expect((await api('GET', '/api/workflows/typos')).status).toBe(404);
  });

  it('refuses transform paths that would build a huge array or reach a prototype (422, pointers)', async () => {
    const res = await api('POST', '/api/workflows', {
      id: 'huge-array',
      name: 'huge-array',
      nodes: [
        { id: 'a', type: 'transform', config: { set: { 'arr.99999999': 1 } } },
        {
          id: 'b',
          type: 'transform',
          inputs: ['a'],
          config: {
            pick: ['x.prototype'],
            rename: { 'y.constructor': 'z' },
            set: { 'a.10000': 1 },
          },
        },
      ],
    });
    expect(res.status, res.text).toBe(422);
    expect(issueRows(res.json)).toEqual([
      [
        '/nodes/0/config/set/arr.99999999',
        'INVALID_NODE_CONFIG',
        "path 'arr.99999999' has the array index 99999999; an index may be at most 10000",
      ],
      [
        '/nodes/1/config/pick/0',
        'INVALID_NODE_CONFIG',
        "path 'x.prototype' uses the reserved key 'prototype'",
      ],
      [
        '/nodes/1/config/rename/y.constructor',
        'INVALID_NODE_CONFIG',
        "path 'y.constructor' uses the reserved key 'constructor'",
      ],
    ]);
    expect((await api('GET', '/api/workflows/huge-array')).status).toBe(404);
  });

  it('refuses a switch path and a sub-workflow mapping that reach a prototype (422, pointers)', async () => {
    const res = await api('POST', '/api/workflows', {
      id: 'reserved-paths',
      name: 'reserved-paths',
      nodes: [
        { id: 'a', type: 'switch', config: { path: 'input.constructor', cases: {} } },
        {
          id: 'b',
          type: 'sub-workflow',
          inputs: ['a'],
          config: {
            workflowId: 'child',
            inputMapping: { x: 'input.__proto__.y' },
            outputMapping: { z: 'output.prototype' },
          },
        },
      ],
    });
    expect(res.status, res.text).toBe(422);
    expect(issueRows(res.json)).toEqual([
      [
        '/nodes/0/config/path',
        'INVALID_NODE_CONFIG',
        "path 'input.constructor' uses the reserved key 'constructor'",
      ],
      [
        '/nodes/1/config/inputMapping/x',
        'INVALID_NODE_CONFIG',
        "path 'input.__proto__.y' uses the reserved key '__proto__'",
      ],
      [
        '/nodes/1/config/outputMapping/z',
        'INVALID_NODE_CONFIG',
        "path 'output.prototype' uses the reserved key 'prototype'",
      ],
    ]);
    expect((await api('GET', '/api/workflows/reserved-paths')).status).toBe(404);
  });

  it('accepts their good configs', async () => {
    const res = await api('POST', '/api/workflows', {
      id: 'fine',
      name: 'fine',
      nodes: [
        { id: 'a', type: 'noop' },
        { id: 'b', type: 'transform', inputs: ['a'], config: { pick: ['x'] } },
        { id: 'c', type: 'switch', inputs: ['b'], config: { path: 'input.x', cases: {} } },
        {
          id: 'd',
          type: 'http',
          inputs: ['c'],
          config: { url: 'https://example.com', method: 'PUT', body: 'x' },
        },
      ],
    });
    expect(res.status, res.text).toBe(201);
  });

  it('lists all eight at GET /api/node-types, with config schemas and the http output', async () => {
    const res = await api('GET', '/api/node-types');
    expect(res.status, res.text).toBe(200);
    const items = res.json.items as Record<string, any>[];
    expect(items.map((t) => [t.type, t.builtIn])).toEqual([
      ['delay', true],
      ['map', true],
      ['sub-workflow', true],
      ['wait-for-signal', true],
      ['noop', false],
      ['transform', false],
      ['switch', false],
      ['http', false],
    ]);
    for (const t of items) {
      expect(t.description, t.type).toEqual(expect.any(String));
      expect(t.config, t.type).toEqual(expect.any(Object));
    }
    const http = items.find((t) => t.type === 'http')!;
    expect(http.config.required).toEqual(['url']);
    expect(http.output).toMatchObject({ required: ['status', 'headers', 'body'] });
  });
});

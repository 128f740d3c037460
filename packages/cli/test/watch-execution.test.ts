import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionState } from '../src/api-types.js';
import { SpaneClient } from '../src/client.js';
import { SpaneApiError, SpaneUnreachableError } from '../src/client-errors.js';
import { watchExecution } from '../src/watch-execution.js';
import { closedPort } from './support/cli-harness.js';

// A scripted HTTP peer on loopback for what a real server does only when it breaks: an
// event stream that ends before the run does. The happy paths run against apps/server in
// run.test.ts and executions.test.ts.

function state(status: ExecutionState['status'], nodes: Record<string, string>): ExecutionState {
  return {
    executionId: 'e1',
    workflowId: 'w',
    workflowVersion: 'v1',
    tenantId: 'default',
    status,
    createdAt: '2025-01-01T00:00:00.000Z',
    nodeResults: Object.fromEntries(
      Object.entries(nodes).map(([id, s]) => [id, { status: s, attempts: 1 }]),
    ),
  };
}

const frame = (event: string, data: unknown) =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('watchExecution', () => {
  it('reads the state and follows a new stream when one ends before the run', async () => {
    const requests: string[] = [];
    let streams = 0;
    const url = await serve((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      if (req.url === '/api/executions/e1/events') {
        streams++;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (streams === 1) {
          // Cut off after the first state, as a restarting server or a proxy would.
          res.end(frame('state', state('running', { a: 'running', b: 'pending' })));
        } else {
          res.write(': keep-alive\n\n');
          res.write(frame('state', state('running', { a: 'completed', b: 'pending' })));
          res.write(frame('node:started', { nodeId: 'b' }));
          res.write(frame('node:completed', { nodeId: 'b' }));
          res.write(frame('workflow:completed', {}));
          res.end(frame('state', state('completed', { a: 'completed', b: 'completed' })));
        }
      } else if (req.url === '/api/executions/e1') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(state('running', { a: 'completed', b: 'pending' })));
      } else {
        res.writeHead(404).end();
      }
    });
    const lines: string[] = [];
    const final = await watchExecution(new SpaneClient({ url, apiKey: 'k' }), 'e1', {
      onChange: (p) => lines.push(p.describe()),
    });
    expect(final.status).toBe('completed');
    expect(requests).toEqual([
      'GET /api/executions/e1/events Bearer k',
      'GET /api/executions/e1 Bearer k',
      'GET /api/executions/e1/events Bearer k',
    ]);
    expect(lines).toEqual([
      'running 0/2 nodes · a',
      'running 1/2 nodes',
      'running 1/2 nodes',
      'running 1/2 nodes · b',
      'running 2/2 nodes',
      'completed 2/2 nodes',
      'completed 2/2 nodes',
    ]);
  });

  it("throws the API's error for an unknown execution", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'EXECUTION_NOT_FOUND', message: 'not found' } }));
    });
    const err = await watchExecution(new SpaneClient({ url }), 'e1').catch((e) => e);
    expect(err).toBeInstanceOf(SpaneApiError);
    expect(err).toMatchObject({ status: 404, code: 'EXECUTION_NOT_FOUND' });
  });

  it('gives up after the server did not answer maxUnreachable times in a row', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = await watchExecution(new SpaneClient({ url }), 'e1', {
      maxUnreachable: 2,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(SpaneUnreachableError);
    expect(err).toMatchObject({ url, reason: 'ECONNREFUSED' });
  });

  it('stops with the reason of its signal', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame('state', state('running', { a: 'running' })));
      // …and nothing more: the run goes on.
    });
    const deadline = new AbortController();
    const watching = watchExecution(new SpaneClient({ url }), 'e1', {
      signal: deadline.signal,
      onChange: () => deadline.abort(new Error('deadline')),
    });
    await expect(watching).rejects.toThrow('deadline');
  });
});

import { type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKeyStore, spaneHttp } from '../src/index.js';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEY_SPEC,
  KEYS,
  wf,
} from './support/http-harness.js';

interface SseEvent {
  event: string;
  data: any;
}

function parseEvents(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
      return { event, data };
    });
}

/** An SSE client over real HTTP that collects events as they arrive. */
function openStream(
  baseUrl: string,
  path: string,
  key: string,
): Promise<{
  response: IncomingMessage;
  events: SseEvent[];
  next(predicate: (e: SseEvent) => boolean): Promise<SseEvent>;
  ended: Promise<void>;
  close(): void;
}> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { headers: bearer(key) }, (response) => {
      const events: SseEvent[] = [];
      const waiters: { predicate: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const [event] = parseEvents(buffer.slice(0, cut + 2));
          buffer = buffer.slice(cut + 2);
          if (event) {
            events.push(event);
            for (const w of waiters.splice(0)) {
              if (w.predicate(event)) w.resolve(event);
              else waiters.push(w);
            }
          }
          cut = buffer.indexOf('\n\n');
        }
      });
      const ended = new Promise<void>((r) => response.on('end', () => r()));
      resolve({
        response,
        events,
        ended,
        next: (predicate) =>
          new Promise((r) => {
            const seen = events.find(predicate);
            if (seen) r(seen);
            else waiters.push({ predicate, resolve: r });
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

let h: HttpHarness;
let baseUrl = '';

beforeAll(async () => {
  h = await createHttpHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  for (const definition of [
    wf('streamed', [
      { id: 'first', type: 'echo' },
      { id: 'slow', type: 'wait', inputs: ['first'], config: { ms: 300 } },
      { id: 'last', type: 'echo', inputs: ['slow'] },
    ]),
    wf('forever', [{ id: 'hang', type: 'wait', config: { ms: 60_000 } }]),
  ]) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: bearer(KEYS.adminA),
      payload: definition,
    });
    expect(res.statusCode).toBe(201);
  }
});
afterAll(async () => {
  await h?.close();
});

async function start(workflowId: string): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/workflows/${workflowId}/execute`,
    headers: bearer(KEYS.adminA),
    payload: { initialData: { hello: 'sse' } },
  });
  return res.json().executionId;
}

async function sseGauge(): Promise<number> {
  const text = (await h.app.inject({ url: '/metrics', headers: bearer(KEYS.adminA) })).body;
  return Number(/^spane_http_sse_streams (\d+)$/m.exec(text)?.[1]);
}

it('streams the state, then live events, until the run ends (real HTTP)', async () => {
  const id = await start('streamed');
  const stream = await openStream(baseUrl, `/api/executions/${id}/events`, KEYS.adminA);
  expect(stream.response.statusCode).toBe(200);
  expect(stream.response.headers['content-type']).toContain('text/event-stream');
  const first = await stream.next(() => true);
  expect(first.event).toBe('state');
  expect(first.data.executionId).toBe(id);
  expect(['pending', 'running']).toContain(first.data.status);

  await stream.ended;
  const names = stream.events.map((e) => e.event);
  expect(names.at(-2)).toBe('workflow:completed');
  expect(names.at(-1)).toBe('state');
  expect(stream.events.at(-1)!.data.status).toBe('completed');
  expect(stream.events.at(-1)!.data.nodeResults.first.data).toEqual({ hello: 'sse' });
  expect(stream.events.at(-1)!.data.nodeResults.last.data).toEqual({ waited: 300 });
  // The slow node was still running when the stream opened: its events came live.
  const slowEvents = stream.events.filter((e) => e.data.nodeId === 'slow').map((e) => e.event);
  expect(slowEvents).toContain('node:completed');
  expect(names.indexOf('node:completed')).toBeGreaterThan(0);
  expect(stream.events.every((e) => e.data.executionId === id)).toBe(true);
  expect(await sseGauge()).toBe(0);
});

it('sends only the state of a run that has already ended (inject)', async () => {
  const id = await start('streamed');
  await h.waitForExecution(id);
  const res = await h.app.inject({
    url: `/api/executions/${id}/events`,
    headers: bearer(KEYS.adminA),
  });
  expect(res.statusCode).toBe(200);
  const events = parseEvents(res.body);
  expect(events.map((e) => e.event)).toEqual(['state']);
  expect(events[0]!.data.status).toBe('completed');
});

it('ends with the cancellation when a run is cancelled (inject reads to the end)', async () => {
  const id = await start('forever');
  const reading = h.app.inject({
    url: `/api/executions/${id}/events`,
    headers: bearer(KEYS.adminA),
  });
  // Cancel once the stream is open (the gauge counts it).
  for (let i = 0; i < 200 && (await sseGauge()) === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  const cancel = await h.app.inject({
    method: 'POST',
    url: `/api/executions/${id}/cancel`,
    headers: bearer(KEYS.adminA),
  });
  expect(cancel.statusCode).toBe(200);
  const events = parseEvents((await reading).body);
  expect(events[0]!.event).toBe('state');
  expect(events.map((e) => e.event)).toContain('workflow:cancelled');
  expect(events.at(-1)).toMatchObject({ event: 'state', data: { status: 'cancelled' } });
});

it('removes its listeners when the client goes away', async () => {
  const id = await start('forever');
  const stream = await openStream(baseUrl, `/api/executions/${id}/events`, KEYS.adminA);
  await stream.next((e) => e.event === 'state');
  expect(await sseGauge()).toBe(1);
  stream.close();
  for (let i = 0; i < 200 && (await sseGauge()) !== 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(await sseGauge()).toBe(0);
  await h.engine.cancelWorkflow(id, await h.scopeOf(id));
});

it('ends open streams when the plugin closes', async () => {
  const app = Fastify();
  await app.register(spaneHttp, {
    engine: h.engine,
    auth: { mode: 'keys', keys: ApiKeyStore.parse(KEY_SPEC) },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const id = await start('forever');
  const stream = await openStream(url, `/api/executions/${id}/events`, KEYS.adminA);
  await stream.next((e) => e.event === 'state');
  await app.close();
  await stream.ended;
  await h.engine.cancelWorkflow(id, await h.scopeOf(id));
});

it('sends keep-alive comments and re-checks the state while a run is quiet', async () => {
  const app = Fastify();
  await app.register(spaneHttp, {
    engine: h.engine,
    auth: { mode: 'keys', keys: ApiKeyStore.parse(KEY_SPEC) },
    sseHeartbeatMs: 50,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const id = await start('forever');
    const raw: string[] = [];
    const stream = await openStream(url, `/api/executions/${id}/events`, KEYS.adminA);
    stream.response.on('data', (chunk: string) => raw.push(chunk));
    await stream.next((e) => e.event === 'state');
    await new Promise((r) => setTimeout(r, 200));
    expect(raw.join('')).toContain(': keep-alive');
    await h.engine.cancelWorkflow(id, await h.scopeOf(id));
    await stream.ended;
    expect(stream.events.at(-1)).toMatchObject({ event: 'state', data: { status: 'cancelled' } });
  } finally {
    await app.close();
  }
});

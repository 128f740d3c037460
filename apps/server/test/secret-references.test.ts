import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook } from '@spane/bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type RunningServer, startServer } from '../src/index.js';
import { deletePrefix } from './support/processes.js';
import { REDIS_URL } from './support/test-config.js';

/**
 * The whole path of a secret through the server: `PUT /api/secrets/:name`, a definition
 * that references it, an `http` node run that sends it, and a literal webhook secret that
 * registration moves into the vault — with no value in any answer or log line.
 */

const KEY = 'server-secret-refs-admin-01';
const TOKEN = 'Bearer tok_5e4d3c2b1a09';
const HOOK_SECRET = 'whsec_literal_4a3b2c1d';
const prefixes: string[] = [];

let target: Server;
let targetUrl: string;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  target = createServer((req, res) => {
    received.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.2', r));
  targetUrl = `http://127.0.0.2:${(target.address() as AddressInfo).port}/in`;
});
afterAll(async () => {
  await new Promise((r) => target.close(r));
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix);
});

async function api(server: RunningServer, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

async function finished(server: RunningServer, executionId: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await api(server, 'GET', `/api/executions/${executionId}`);
    if (['completed', 'failed', 'cancelled'].includes(state.json?.status)) return state;
    if (Date.now() > deadline) throw new Error(`execution ${executionId} did not finish`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('secret references through the server', () => {
  it('an http node sends a vault secret; answers and logs carry only the reference', async () => {
    const prefix = `spane-secret-refs-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    const lines: string[] = [];
    const config = loadConfig({
      PORT: '0',
      REDIS_URL,
      SPANE_REDIS_PREFIX: prefix,
      SPANE_API_KEYS: `${KEY}:default:admin`,
      SPANE_HTTP_ALLOW: '127.0.0.2',
      LOG_LEVEL: 'trace',
    });
    const server = await startServer(config, { logStream: { write: (l) => lines.push(l) } });
    try {
      const put = await api(server, 'PUT', '/api/secrets/crm.token', { value: TOKEN });
      expect(put.status, put.text).toBe(201);
      const definition = {
        id: 'crm',
        name: 'crm',
        nodes: [
          {
            id: 'call',
            type: 'http',
            config: {
              url: targetUrl,
              method: 'POST',
              headers: { authorization: { $secret: 'crm.token' } },
              body: { ok: true },
            },
          },
        ],
        triggers: [{ type: 'webhook', path: 'crm', secret: HOOK_SECRET }],
      };
      const registered = await api(server, 'POST', '/api/workflows', definition);
      expect(registered.status, registered.text).toBe(201);
      expect(registered.json.definition.triggers[0].secret).toEqual({ $secret: 'webhook.crm.0' });

      const started = await api(server, 'POST', '/api/workflows/crm/execute', {});
      expect(started.status, started.text).toBe(202);
      const state = await finished(server, started.json.executionId);
      expect(state.json.status, state.text).toBe('completed');
      expect(received.at(-1)?.authorization).toBe(TOKEN);

      // A delivery signed with the literal that registration moved into the vault.
      const body = '{"n":1}';
      const hook = await fetch(`${server.url}/api/webhooks/default/crm`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-spane-delivery': 'd-1',
          'x-spane-signature': signWebhook(HOOK_SECRET, body, { deliveryId: 'd-1' }),
        },
        body,
      });
      expect(hook.status, await hook.clone().text()).toBe(202);

      const answers = [
        state.text,
        (await api(server, 'GET', '/api/workflows/crm')).text,
        (await api(server, 'GET', '/api/workflows')).text,
        (await api(server, 'GET', `/api/executions/${started.json.executionId}/logs`)).text,
        (await api(server, 'GET', `/api/executions/${started.json.executionId}/trace`)).text,
        (await api(server, 'GET', '/api/secrets')).text,
      ].join('\n');
      expect(answers).toContain('"$secret":"crm.token"');
      expect(answers).toContain('"nodeId":"call"'); // the logs and trace were answered
      for (const value of [TOKEN, HOOK_SECRET]) {
        expect(answers).not.toContain(value);
        expect(lines.join('\n')).not.toContain(value);
      }
    } finally {
      await server.close();
    }
  });
});

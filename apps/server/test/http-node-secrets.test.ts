import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry, parseMasterKeys, SecretVault } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltInNodes } from '../src/index.js';
import { deletePrefix } from './support/processes.js';

/**
 * The `http` node with `{ "$secret": … }` in its config, run by a real engine (Redis,
 * memory store): the target receives the value; the engine's records hold none.
 */

const TOKEN = 'tok_9d8c7b6a5f4e3d2c';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let target: Server;
let base: string;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  target = createServer((req, res) => {
    received.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.2', r));
  base = `http://127.0.0.2:${(target.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => target.close(r));
});

describe('http node with secret references', () => {
  it('sends the resolved header; a refused secret URL is masked in the recorded error', async () => {
    const prefix = `spane-test-${randomUUID().slice(0, 8)}`;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const store = new InMemoryExecutionStore();
    const vault = new SecretVault(store.secrets, {
      masterKeys: parseMasterKeys(randomBytes(32).toString('base64')),
    });
    const registry = new NodeRegistry();
    // Only 127.0.0.2 is allowed: the secret URL below points elsewhere.
    registerBuiltInNodes(registry, { httpAllow: ['127.0.0.2'] });
    const engine = new WorkflowEngine(registry, store, redis, { prefix, secrets: vault });
    try {
      await vault.set('acme', 'api.token', TOKEN);
      // The node's refusal names the URL's origin: that is the secret's whole value here.
      const hiddenUrl = 'http://127.0.0.3:9';
      await vault.set('acme', 'hidden.url', hiddenUrl);
      await engine.registerWorkflow(
        {
          id: 'call',
          name: 'call',
          nodes: [
            {
              id: 'N',
              type: 'http',
              config: {
                url: `${base}/hook`,
                headers: { authorization: { $secret: 'api.token' } },
              },
            },
          ],
        },
        { tenantId: 'acme' },
      );
      await engine.registerWorkflow(
        {
          id: 'refused',
          name: 'refused',
          nodes: [{ id: 'N', type: 'http', config: { url: { $secret: 'hidden.url' } } }],
        },
        { tenantId: 'acme' },
      );
      await engine.startWorkers(1);
      const scope = { tenantId: 'acme' };
      const ok = await engine.enqueueWorkflow('call', {}, scope);
      const okState = await engine.waitForExecution(ok, { timeoutMs: 10_000 }, scope);
      expect(okState.status).toBe('completed');
      expect(received.at(-1)?.authorization).toBe(TOKEN);

      const bad = await engine.enqueueWorkflow('refused', {}, scope);
      const badState = await engine.waitForExecution(bad, { timeoutMs: 10_000 }, scope);
      expect(badState.status).toBe('failed');
      const [item] = await engine.getDLQItems(0, -1, scope);
      expect(item?.error).toMatch(/^http: refusing \[secret\]: 127\.0\.0\.3 is a private/);
      const recorded = JSON.stringify({
        okState,
        badState,
        item,
        logs: [await engine.getLogs(ok, scope), await engine.getLogs(bad, scope)],
        trace: [await engine.getTrace(ok, scope), await engine.getTrace(bad, scope)],
        workflows: await engine.listWorkflows(scope),
      });
      expect(recorded).not.toContain(TOKEN);
      expect(recorded).not.toContain(hiddenUrl);
      expect(recorded).toContain('{"$secret":"api.token"}');
    } finally {
      await engine.close();
      await deletePrefix(REDIS_URL, prefix);
      await redis.quit();
    }
  });
});

import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PrivateCluster,
  startPrivateCluster,
} from '../../../packages/bullmq/test/support/private-cluster.js';
import { ConfigError, loadConfig, startServer } from '../src/index.js';

// The server on a Redis Cluster of the test's own (3 masters on loopback ports).

const KEY = 'server-cluster-admin-key-0001';
const quiet = { write: () => {} };

let cluster: PrivateCluster;
beforeAll(async () => {
  cluster = await startPrivateCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('REDIS_CLUSTER', () => {
  it('defaults the prefix to {spane} and refuses a prefix without a hash tag', () => {
    const env = { REDIS_CLUSTER: 'true', REDIS_URL: 'redis://127.0.0.1:7000' };
    expect(loadConfig(env)).toMatchObject({ redisCluster: true, redisPrefix: '{spane}' });
    expect(loadConfig({ ...env, SPANE_REDIS_PREFIX: 'a:{b}' }).redisPrefix).toBe('a:{b}');
    expect(() => loadConfig({ ...env, SPANE_REDIS_PREFIX: 'spane' })).toThrow(/hash tag/);
    expect(() => loadConfig({ REDIS_CLUSTER: 'yes' })).toThrow(ConfigError);
    expect(loadConfig({}).redisCluster).toBeUndefined();
  });

  it('runs a workflow over HTTP with the engine and the rate limiter on the cluster', async () => {
    const prefix = `{spane-server-${Date.now()}}`;
    const server = await startServer(
      loadConfig({
        PORT: '0',
        REDIS_CLUSTER: 'true',
        REDIS_URL: `redis://127.0.0.1:${cluster.ports[1]}`,
        SPANE_REDIS_PREFIX: prefix,
        SPANE_API_KEYS: `${KEY}:default:admin`,
        WORKER_CONCURRENCY: '2',
        LOG_LEVEL: 'warn',
      }),
      { logStream: quiet },
    );
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${KEY}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as any };
    };
    try {
      const flow = {
        id: 'pair',
        name: 'pair',
        nodes: [
          { id: 'a', type: 'noop' },
          { id: 'b', type: 'noop', inputs: ['a'] },
        ],
      };
      expect((await call('POST', '/api/workflows', flow)).status).toBe(201);
      const started = await call('POST', '/api/workflows/pair/execute', { initialData: { x: 1 } });
      expect(started.status).toBe(202);
      const id = started.json.executionId as string;
      const deadline = Date.now() + 15_000;
      let state: any;
      for (;;) {
        state = (await call('GET', `/api/executions/${id}`)).json;
        if (state.status === 'completed' || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(state.status).toBe('completed');
      expect((await call('GET', '/health/ready')).status).toBe(200);
    } finally {
      await server.close();
    }
    // Every key the server wrote (engine, queues, rate limits) is on one master.
    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      await new Promise((r) => client.once('ready', r));
      const holders: string[] = [];
      const all: string[] = [];
      for (const node of client.nodes('master')) {
        const keys = await node.keys(`${prefix}*`);
        if (keys.length > 0) holders.push(String(node.options.port));
        all.push(...keys);
      }
      expect(all.some((k) => k.includes(':ratelimit:'))).toBe(true);
      expect(holders).toHaveLength(1);
    } finally {
      await client.quit();
    }
  }, 60_000);
});

import { randomBytes } from 'node:crypto';
import {
  type ExecutionContext,
  InvalidSignatureError,
  parseMasterKeys,
  type SecretStore,
  SecretVault,
  WorkflowValidationError,
} from '@spane/core';
import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { type EngineLogger, signWebhook, type WorkflowEngine } from '../src/index.js';
import { deferred, exec, type Harness, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

const VALUE = 'sk_live_7f3a9c2e5b1d';

/** Every value stored under the prefix in Redis, as text (jobs, streams, sets, strings). */
async function redisDump(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'list') parts.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(...(await redis.smembers(key)));
      else if (type === 'zset') parts.push(...(await redis.zrange(key, 0, -1)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

/** Every event the engine emits, as they arrive. */
function allEvents(engine: WorkflowEngine): unknown[] {
  const seen: unknown[] = [];
  for (const name of [
    'workflow:started',
    'workflow:completed',
    'workflow:failed',
    'node:started',
    'node:completed',
    'node:failed',
    'node:retrying',
  ] as const) {
    engine.on(name, (p) => seen.push(p));
  }
  return seen;
}

/** A logger that keeps warnings. */
function warnings(): EngineLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: () => {},
    info: () => {},
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
}

async function secretHarness(
  harness: (o?: object, w?: object) => Promise<Harness>,
  options: object = {},
) {
  const h = await harness(options, { secrets: true });
  return { h, vault: h.vault! };
}

describe('secret references in node configs', () => {
  it('resolve when the node runs; job data, events, logs, spans, DLQ and state keep none', async ({
    harness,
  }) => {
    const { h, vault } = await secretHarness(harness);
    await vault.set('default', 'api.token', VALUE);
    const seen: Record<string, unknown>[] = [];
    h.registry.register(
      'leaky',
      exec(async (ctx: ExecutionContext) => {
        seen.push(ctx.nodeConfig);
        const token = (ctx.nodeConfig.auth as { token: string }).token;
        ctx.log.info(`calling with ${token}`, { token, nested: [{ again: `Bearer ${token}` }] });
        throw new Error(`upstream refused ${token}`);
      }),
    );
    const events = allEvents(h.engine);
    const def = wf(
      'leaks',
      [
        {
          id: 'N',
          type: 'leaky',
          config: { auth: { token: { $secret: 'api.token' } }, plain: 'p' },
          retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 1_000 } },
        },
      ],
      {},
    );
    await h.engine.registerWorkflow(def);
    await h.engine.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('leaks', { in: 1 });
    // Between the attempts BullMQ keeps the first one's error with the job: masked.
    const between = await until(async () => {
      const dump = await redisDump(h.redis, h.prefix);
      return dump.includes('upstream refused') ? dump : undefined;
    }, 5_000);
    expect(between).not.toContain(VALUE);
    expect(between).toContain('upstream refused [secret]');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('failed');
    // The executor saw the value, on both attempts.
    expect(seen).toEqual([
      { auth: { token: VALUE }, plain: 'p' },
      { auth: { token: VALUE }, plain: 'p' },
    ]);
    const logs = await h.engine.getLogs(id);
    const spans = await h.engine.getTrace(id);
    const dlq = await h.engine.getDLQItems();
    const stored = await h.engine.getWorkflow('leaks');
    const recorded = JSON.stringify({ state, logs, spans, dlq, events, stored });
    expect(recorded).not.toContain(VALUE);
    expect(await redisDump(h.redis, h.prefix)).not.toContain(VALUE);
    // Masked where the value was, the reference kept in the definition.
    expect(logs.map((l) => l.message)).toContain('calling with [secret]');
    expect(logs.find((l) => l.message === 'calling with [secret]')?.meta).toEqual({
      token: '[secret]',
      nested: [{ again: 'Bearer [secret]' }],
    });
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.error).toBe('upstream refused [secret]');
    expect(dlq[0]!.stack).toContain('upstream refused [secret]');
    expect(spans.map((s) => s.error)).toEqual([
      'upstream refused [secret]',
      'upstream refused [secret]',
    ]);
    expect(stored!.definition.nodes[0]!.config).toEqual({
      auth: { token: { $secret: 'api.token' } },
      plain: 'p',
    });
  });

  it('each tenant gets its own value of the same name; a missing secret fails at once', async ({
    harness,
  }) => {
    const { h, vault } = await secretHarness(harness);
    await vault.set('acme', 'key', 'value-of-acme');
    await vault.set('globex', 'key', 'value-of-globex');
    const calls: number[] = [];
    h.registry.register(
      'show',
      exec(async (ctx) => {
        calls.push(ctx.attempt);
        return { success: true, data: { got: ctx.nodeConfig.key } };
      }),
    );
    const def = wf('show', [
      { id: 'N', type: 'show', config: { key: { $secret: 'key' } }, retry: { attempts: 3 } },
    ]);
    for (const tenantId of ['acme', 'globex', 'initech']) {
      await h.engine.registerWorkflow(def, { tenantId });
    }
    await h.engine.startWorkers(2);
    const run = async (tenantId: string) => {
      const id = await h.engine.enqueueWorkflow('show', {}, { tenantId });
      return h.engine.waitForExecution(id, { timeoutMs: 10_000 }, { tenantId });
    };
    const [acme, globex] = await Promise.all([run('acme'), run('globex')]);
    // (An executor that puts a secret into its output is not masked: see the README.)
    expect(acme.nodeResults.N?.data).toEqual({ got: 'value-of-acme' });
    expect(globex.nodeResults.N?.data).toEqual({ got: 'value-of-globex' });
    expect(calls).toEqual([1, 1]);
    // initech has no secret 'key': failed for good on the first attempt, value-free message.
    const initech = await run('initech');
    expect(initech.status).toBe('failed');
    expect(calls).toEqual([1, 1]);
    const [item] = await h.engine.getDLQItems(0, -1, { tenantId: 'initech' });
    expect(item).toMatchObject({ error: "secret 'key' not found", attempts: 1 });
  });

  it('an engine without secrets refuses references at registration (SECRETS_DISABLED)', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'show',
      exec(async () => ({ success: true })),
    );
    const def = wf('refs', [{ id: 'N', type: 'show', config: { k: { $secret: 'k' } } }]);
    const error = await h.engine.registerWorkflow(def).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect((error as WorkflowValidationError).issues).toEqual([
      expect.objectContaining({ path: '/nodes/0/config/k', code: 'SECRETS_DISABLED' }),
    ]);
  });

  it('warns at registration about a secret the tenant does not have yet', async ({ harness }) => {
    const logger = warnings();
    const { h } = await secretHarness(harness, { logger });
    h.registry.register(
      'show',
      exec(async () => ({ success: true })),
    );
    const def = wf('later', [{ id: 'N', type: 'show', config: { k: { $secret: 'not.yet' } } }]);
    await h.engine.registerWorkflow(def);
    expect(logger.lines.filter((l) => l.includes("secret 'not.yet'"))).toHaveLength(1);
  });

  it('a vault store that fails while resolving is retried as infrastructure, no attempt used', async ({
    harness,
  }) => {
    const h = await harness();
    const secrets = h.store.secrets!;
    let failures = 3;
    const flaky: SecretStore = {
      listDataKeys: (t) => secrets.listDataKeys(t),
      addDataKey: (k) => secrets.addDataKey(k),
      rewrapDataKey: (t, v, e, n) => secrets.rewrapDataKey(t, v, e, n),
      listDataKeysNotWrappedBy: (m, l) => secrets.listDataKeysNotWrappedBy(m, l),
      putSecret: (r) => secrets.putSecret(r),
      listSecrets: (t, o) => secrets.listSecrets(t, o),
      deleteSecret: (t, n) => secrets.deleteSecret(t, n),
      getSecret: (t, n) =>
        failures-- > 0 ? Promise.reject(new Error('connection reset')) : secrets.getSecret(t, n),
    };
    const masterKeys = parseMasterKeys(randomBytes(32).toString('base64'));
    const vault = new SecretVault(flaky, { masterKeys });
    await new SecretVault(secrets, { masterKeys }).set('default', 'k', 'v');
    const attempts: number[] = [];
    h.registry.register(
      'show',
      exec(async (ctx) => {
        attempts.push(ctx.attempt);
        return { success: true, data: ctx.nodeConfig };
      }),
    );
    const engine = h.peer({ secrets: vault });
    await engine.registerWorkflow(
      wf('flaky', [{ id: 'N', type: 'show', config: { k: { $secret: 'k' } } }]),
    );
    await engine.startWorkers(1);
    const id = await engine.enqueueWorkflow('flaky', {});
    const state = await engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(attempts).toEqual([1]);
    expect(failures).toBeLessThan(0);
  });
});

describe('secret references and stops', () => {
  it('a cancel while the secrets are read stops the attempt before the executor', async ({
    harness,
  }) => {
    const h = await harness();
    const secrets = h.store.secrets!;
    const reading = deferred();
    const release = deferred();
    let blocking = false; // not while registering (which reads the secret to warn if missing)
    const slow: SecretStore = {
      listDataKeys: (t) => secrets.listDataKeys(t),
      addDataKey: (k) => secrets.addDataKey(k),
      rewrapDataKey: (t, v, e, n) => secrets.rewrapDataKey(t, v, e, n),
      listDataKeysNotWrappedBy: (m, l) => secrets.listDataKeysNotWrappedBy(m, l),
      putSecret: (r) => secrets.putSecret(r),
      listSecrets: (t, o) => secrets.listSecrets(t, o),
      deleteSecret: (t, n) => secrets.deleteSecret(t, n),
      getSecret: async (t, n) => {
        if (blocking) {
          reading.resolve();
          await release.promise;
        }
        return secrets.getSecret(t, n);
      },
    };
    const masterKeys = parseMasterKeys(randomBytes(32).toString('base64'));
    await new SecretVault(secrets, { masterKeys }).set('default', 'k', 'v');
    let called = 0;
    h.registry.register(
      'show',
      exec(async () => {
        called += 1;
        return { success: true };
      }),
    );
    const engine = h.peer({ secrets: new SecretVault(slow, { masterKeys }) });
    await engine.registerWorkflow(
      wf('slow', [{ id: 'N', type: 'show', config: { k: { $secret: 'k' } } }]),
    );
    await engine.startWorkers(1);
    blocking = true;
    const id = await engine.enqueueWorkflow('slow', {});
    await reading.promise;
    await engine.cancelWorkflow(id);
    release.resolve();
    const state = await engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('cancelled');
    const spans = await until(async () => {
      const trace = await engine.getTrace(id);
      return trace.some((s) => s.finishedAt !== undefined) ? trace : undefined;
    }, 5_000);
    expect(spans.map((s) => s.error)).toEqual(['aborted: execution cancelled']);
    expect(called).toBe(0);
  });
});

describe('webhook secrets', () => {
  it('a { $secret } webhook secret is read from the vault per tenant at verification', async ({
    harness,
  }) => {
    const { h, vault } = await secretHarness(harness);
    h.registry.register(
      'echo',
      exec(async (ctx) => ({ success: true, data: ctx.inputData })),
    );
    const def = wf('hooked', [{ id: 'N', type: 'echo' }], {
      triggers: [{ type: 'webhook', path: 'in', secret: { $secret: 'hook.key' } }],
    });
    await h.engine.registerWorkflow(def, { tenantId: 'acme' });
    await h.engine.registerWorkflow(def, { tenantId: 'globex' });
    await vault.set('acme', 'hook.key', 'acme-hook-secret');
    const body = '{"a":1}';
    const send = (tenantId: string, secret: string, deliveryId: string) =>
      h.engine.triggerWebhook(
        'in',
        'POST',
        body,
        {
          'x-spane-delivery': deliveryId,
          'x-spane-signature': signWebhook(secret, body, { deliveryId }),
        },
        { tenantId },
      );
    expect(await send('acme', 'acme-hook-secret', 'd1')).toHaveLength(1);
    await expect(send('acme', 'wrong', 'd2')).rejects.toBeInstanceOf(InvalidSignatureError);
    // globex has no such secret yet: nothing verifies; once set, its own value does.
    await expect(send('globex', 'acme-hook-secret', 'd3')).rejects.toBeInstanceOf(
      InvalidSignatureError,
    );
    await vault.set('globex', 'hook.key', 'globex-hook-secret');
    await expect(send('globex', 'acme-hook-secret', 'd4')).rejects.toBeInstanceOf(
      InvalidSignatureError,
    );
    expect(await send('globex', 'globex-hook-secret', 'd5')).toHaveLength(1);
  });

  it('a literal webhook secret is moved into the vault; the definition keeps a reference', async ({
    harness,
  }) => {
    const { h, vault } = await secretHarness(harness);
    h.registry.register(
      'echo',
      exec(async (ctx) => ({ success: true, data: ctx.inputData })),
    );
    const literal = 'whsec_literal_0123456789';
    const def = wf('moved', [{ id: 'N', type: 'echo' }], {
      triggers: [
        { type: 'event', event: 'x' },
        { type: 'webhook', path: 'lit', secret: literal },
      ],
    });
    const first = await h.engine.registerWorkflow(def);
    expect(first.definition.triggers?.[1]).toEqual({
      type: 'webhook',
      path: 'lit',
      secret: { $secret: 'webhook.moved.1' },
    });
    const again = await h.engine.registerWorkflow(def);
    expect(again.version).toBe(first.version);
    const record = await h.store.secrets!.getSecret('default', 'webhook.moved.1');
    expect(record!.ciphertext).not.toContain(literal);
    expect(Buffer.from(record!.ciphertext, 'base64').toString('latin1')).not.toContain(literal);
    expect(await vault.reveal('default', 'webhook.moved.1')).toBe(literal);
    const stored = await h.engine.getWorkflow('moved');
    expect(JSON.stringify(stored)).not.toContain(literal);
    const body = 'hello';
    const ids = await h.engine.triggerWebhook('lit', 'POST', body, {
      'x-spane-delivery': 'd1',
      'x-spane-signature': signWebhook(literal, body, { deliveryId: 'd1' }),
    });
    expect(ids).toHaveLength(1);
  });

  it('a literal saved by an engine without secrets moves into the vault when workers start', async ({
    harness,
  }) => {
    const { h, vault } = await secretHarness(harness);
    h.registry.register(
      'echo',
      exec(async () => ({ success: true })),
    );
    const literal = 'whsec_saved_in_clear_42';
    const def = wf('older', [{ id: 'N', type: 'echo' }], {
      triggers: [{ type: 'webhook', path: 'old', secret: literal }],
    });
    // An engine without a vault (as before secrets existed) saves the literal as given.
    const clear = h.peer({ secrets: undefined, logger: warnings() });
    const before = await clear.registerWorkflow(def);
    expect(before.definition.triggers?.[0]).toMatchObject({ secret: literal });
    await clear.close();

    await h.engine.startWorkers(1);
    const current = (await h.engine.getWorkflow('older'))!;
    expect(current.version).not.toBe(before.version);
    expect(current.definition.triggers?.[0]).toEqual({
      type: 'webhook',
      path: 'old',
      secret: { $secret: 'webhook.older.0' },
    });
    expect(await vault.reveal('default', 'webhook.older.0')).toBe(literal);
    const body = '{}';
    const ids = await h.engine.triggerWebhook('old', 'POST', body, {
      'x-spane-delivery': 'd-old',
      'x-spane-signature': signWebhook(literal, body, { deliveryId: 'd-old' }),
    });
    expect(ids).toHaveLength(1);
  });

  it('without secrets a literal webhook secret stays, with one warning at registration', async ({
    harness,
  }) => {
    const logger = warnings();
    const h = await harness({ logger });
    h.registry.register(
      'echo',
      exec(async () => ({ success: true })),
    );
    const def = wf('clear', [{ id: 'N', type: 'echo' }], {
      triggers: [{ type: 'webhook', path: 'c', secret: 'in-clear' }],
    });
    const stored = await h.engine.registerWorkflow(def);
    expect(stored.definition.triggers?.[0]).toMatchObject({ secret: 'in-clear' });
    expect(logger.lines.filter((l) => l.includes('stored in clear'))).toHaveLength(1);
  });
});

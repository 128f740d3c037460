import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createHttpHarness, type HttpHarness, KEYS, wf } from './support/http-harness.js';

/**
 * Every kind of bad input answers a 4xx with a stable code in the one error shape —
 * never a 500, a hang or a crash. One table, run against a real engine.
 */

let h: HttpHarness;
let completedId = '';
const admin = bearer(KEYS.adminA);
const json = { ...admin, 'content-type': 'application/json' };
const jsonB = { ...bearer(KEYS.adminB), 'content-type': 'application/json' };

const okDefinition = wf('valid', [{ id: 'a', type: 'echo' }]);

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

interface Case {
  name: string;
  request: () => InjectOptions;
  status: number;
  code: string;
  /** Extra check of the error body. */
  check?: (error: { code: string; message: string; details?: any }) => void;
}

const issueCodes = (e: { details?: { issues?: { code: string }[] } }) =>
  (e.details?.issues ?? []).map((i) => i.code);

const register = (payload: unknown): InjectOptions => ({
  method: 'POST',
  url: '/api/workflows',
  headers: json,
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
});

const execute = (payload: unknown): InjectOptions => ({
  method: 'POST',
  url: '/api/workflows/valid/execute',
  headers: json,
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
});

const post = (url: string, payload: unknown): InjectOptions => ({
  method: 'POST',
  url,
  headers: json,
  payload: JSON.stringify(payload),
});

const bulk = (payload: unknown): InjectOptions => post('/api/executions/bulk', payload);

/** The error names the unknown field by its path, in the message and in `details.issues`. */
const unknownField = (path: string) => (e: { message: string; details?: any }) => {
  expect(e.message).toContain(path);
  expect(e.details.issues).toContainEqual({ path, message: 'is not a known field' });
};

const cases: Case[] = [
  // ── malformed bodies ──
  {
    name: 'syntax error in JSON',
    request: () => register('{"id": "x",'),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: '__proto__ key (prototype poisoning)',
    request: () => register('{"id":"p","name":"p","nodes":[],"__proto__":{"isAdmin":true}}'),
    status: 400,
    code: 'INVALID_JSON',
    check: (e) => expect(e.message).toContain('__proto__'),
  },
  {
    name: 'nested __proto__ in initialData',
    request: () => execute('{"initialData":{"a":{"__proto__":{"polluted":1}}}}'),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'constructor.prototype key',
    request: () => execute('{"initialData":{"constructor":{"prototype":{"x":1}}}}'),
    status: 400,
    code: 'INVALID_JSON',
    check: (e) => expect(e.message).toContain('constructor.prototype'),
  },
  {
    name: 'JSON nested deeper than 64 levels',
    request: () => execute(`{"initialData":${nested(200)}}`),
    status: 400,
    code: 'JSON_TOO_DEEP',
  },
  {
    name: 'very deep JSON (100k levels) is refused without parsing',
    request: () => execute(`{"initialData":${nested(100_000)}}`),
    status: 400,
    code: 'JSON_TOO_DEEP',
  },
  {
    name: 'webhook JSON body nested 5,000 levels (the raw body is checked too)',
    request: () => ({
      method: 'POST',
      url: '/api/webhooks/tenant-a/deep',
      headers: { 'content-type': 'application/json' },
      payload: `{"a":${nested(5_000)}}`,
    }),
    status: 400,
    code: 'JSON_TOO_DEEP',
    check: (e) => expect(e.details).toEqual({ maxDepth: 64 }),
  },
  {
    name: 'webhook JSON body nested 100,000 levels',
    request: () => ({
      method: 'POST',
      url: '/api/webhooks/tenant-a/deep',
      headers: { 'content-type': 'application/json' },
      payload: nested(100_000),
    }),
    status: 400,
    code: 'JSON_TOO_DEEP',
  },
  {
    name: 'webhook body that is deep JSON under another content type (the engine would parse it)',
    request: () => ({
      method: 'POST',
      url: '/api/webhooks/tenant-a/deep',
      headers: { 'content-type': 'text/plain' },
      payload: ` ${nested(200)}`,
    }),
    status: 400,
    code: 'JSON_TOO_DEEP',
  },
  {
    name: 'text/plain body',
    request: () => ({
      ...register(okDefinition),
      headers: { ...admin, 'content-type': 'text/plain' },
    }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'XML body',
    request: () => ({
      ...execute('<x/>'),
      headers: { ...admin, 'content-type': 'application/xml' },
    }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body over the 2 MiB limit',
    request: () => execute({ initialData: 'x'.repeat(2 * 1024 * 1024 + 10) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'initialData over the 1 MiB payload limit (engine)',
    request: () => execute({ initialData: { blob: 'x'.repeat(1024 * 1024 + 10) } }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    check: (e) => expect(e.details).toMatchObject({ limitBytes: 1024 * 1024 }),
  },
  {
    name: 'initialData with U+0000 in a string (no store can keep it unchanged)',
    request: () => execute('{"initialData":{"note":["ok","a\\u0000b"]}}'),
    status: 400,
    code: 'PAYLOAD_NOT_STORABLE',
    check: (e) =>
      expect(e.details).toEqual({
        path: '/note/1',
        reason: 'a string containing the character U+0000',
      }),
  },
  {
    name: 'initialData with a lone high surrogate escape (PostgreSQL would refuse it)',
    request: () => execute('{"initialData":{"note":"a\\ud800b"}}'),
    status: 400,
    code: 'INVALID_JSON',
    check: (e) => expect(e.message).toContain('lone UTF-16 surrogate'),
  },
  {
    name: 'a key with a lone low surrogate escape',
    request: () => execute('{"initialData":{"\\udc00":1}}'),
    status: 400,
    code: 'INVALID_JSON',
    check: (e) => expect(e.message).toContain('lone UTF-16 surrogate'),
  },
  {
    name: 'a workflow name with a surrogate pair cut in half',
    request: () => register('{"id":"s","name":"x\\ude00\\ud83d","nodes":[]}'),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'register without a body',
    request: () => ({ method: 'POST', url: '/api/workflows', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  // ── unknown fields: 400 naming the field, never silently dropped (every route with a body) ──
  {
    name: 'execute with the data not wrapped in initialData',
    request: () => execute({ order: { id: 'o-1001', total: 42.5 } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/body/order'),
  },
  {
    name: 'execute with an unknown option',
    request: () => execute({ initialData: {}, options: { prio: 1 } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/body/options/prio'),
  },
  {
    name: 'execute with a number as a string (bodies are not coerced)',
    request: () => execute({ options: { priority: '5' } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.message).toContain('/body/options/priority'),
  },
  {
    name: 'bulk item with an unknown field',
    request: () => bulk([{ workflowId: 'valid', order: { id: 'o-1' } }]),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/body/0/order'),
  },
  {
    name: 'bulk: a misspelt field in the second item',
    request: () => bulk([{ workflowId: 'valid' }, { workflowId: 'valid', initalData: 1 }]),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/body/1/initalData'),
  },
  {
    name: 'replay with an unknown field',
    request: () => post(`/api/executions/${completedId}/replay`, { fromNode: 'a' }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/body/fromNode'),
  },
  ...(['pause', 'resume', 'cancel'] as const).map(
    (action): Case => ({
      name: `${action} with a body field (the route takes no body)`,
      request: () => post(`/api/executions/${completedId}/${action}`, { reason: 'because' }),
      status: 400,
      code: 'BAD_REQUEST',
      check: unknownField('/body/reason'),
    }),
  ),
  {
    name: 'signal with a body that is not JSON (any JSON value is a payload)',
    request: () => ({
      method: 'POST',
      url: `/api/executions/${completedId}/signals/approval`,
      headers: json,
      payload: '{"approved": tru',
    }),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'signal to a name no wait-for-signal node has',
    request: () => post(`/api/executions/${completedId}/signals/approval`, { approved: true }),
    status: 404,
    code: 'UNKNOWN_SIGNAL',
  },
  {
    name: 'DLQ retry with a body field (checked before the item is looked up)',
    request: () => post('/api/dlq/no-such-item/retry', { force: true }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/body/force'),
  },
  {
    name: 'delete a workflow with a body field',
    request: () => ({ ...post('/api/workflows/valid', { hard: true }), method: 'DELETE' }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/body/hard'),
  },
  {
    name: 'cancel with a body that is not an object',
    request: () => post(`/api/executions/${completedId}/cancel`, [1]),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.details.issues[0].path).toBe('/body'),
  },
  {
    name: 'register a definition with an unknown top-level field (engine: 422 with every issue)',
    request: () => register({ ...wf('extra-field', [{ id: 'a', type: 'echo' }]), owner: 'me' }),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) => expect(e.details.issues.map((i: { path: string }) => i.path)).toContain('/owner'),
  },
  {
    name: 'register a definition with an unknown node field',
    request: () => register(wf('extra-node-field', [{ id: 'a', type: 'echo', timeout: 5 }])),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) =>
      expect(e.details.issues.map((i: { path: string }) => i.path)).toContain('/nodes/0/timeout'),
  },
  {
    name: 'list executions with an unknown query parameter',
    request: () => ({ url: '/api/executions?limit=5&workflow=valid', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/querystring/workflow'),
  },
  {
    name: 'DLQ page with an unknown query parameter',
    request: () => ({ url: '/api/dlq?page=2', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/querystring/page'),
  },
  {
    name: 'get a workflow with a misspelt query parameter',
    request: () => ({ url: '/api/workflows/valid?versoin=abc', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/querystring/versoin'),
  },
  // ── invalid workflow definitions: 422 with every issue ──
  {
    name: 'definition with a malformed secret reference (a number as the name)',
    request: () =>
      register(
        wf('bad-secret-ref', [{ id: 'a', type: 'echo', config: { token: { $secret: 5 } } }], {
          triggers: [{ type: 'webhook', path: 'bad-ref', secret: { $secret: 'x', y: 1 } }],
        }),
      ),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) =>
      expect(e.details.issues.map((i: { path: string; code: string }) => [i.path, i.code])).toEqual(
        [
          ['/nodes/0/config/token', 'INVALID_SECRET_REF'],
          ['/triggers/0/secret', 'INVALID_SECRET_REF'],
        ],
      ),
  },
  {
    name: 'definition with a secret reference on an engine without secrets',
    request: () =>
      register(wf('no-vault', [{ id: 'a', type: 'echo', config: { token: { $secret: 'k' } } }])),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) => expect(issueCodes(e)).toEqual(['SECRETS_DISABLED']),
  },
  {
    name: 'definition with a cycle',
    request: () =>
      register(
        wf('cyclic', [
          { id: 'a', type: 'echo', inputs: ['c'] },
          { id: 'b', type: 'echo', inputs: ['a'] },
          { id: 'c', type: 'echo', inputs: ['b'] },
        ]),
      ),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) => expect(issueCodes(e)).toContain('CYCLE'),
  },
  {
    name: 'unknown node type',
    request: () => register(wf('unknown-type', [{ id: 'a', type: 'no-such-type' }])),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) => expect(issueCodes(e)).toContain('UNKNOWN_NODE_TYPE'),
  },
  {
    name: 'bad node id and bad workflow id (both reported)',
    request: () => register(wf('bad id!', [{ id: 'a b', type: 'echo' }])),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) => {
      const paths = (e.details.issues as { path: string }[]).map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['/id', '/nodes/0/id']));
    },
  },
  // ── bounds enforced at registration (issue #18, engine bounds) ──
  ...(
    [
      [
        'node timeoutMs 1e20',
        [{ id: 'a', type: 'echo', timeoutMs: 1e20 }],
        {},
        '/nodes/0/timeoutMs',
      ],
      [
        'defaults.timeoutMs 1e20',
        [{ id: 'a', type: 'echo' }],
        { defaults: { timeoutMs: 1e20 } },
        '/defaults/timeoutMs',
      ],
      ['workflow timeoutMs 1e20', [{ id: 'a', type: 'echo' }], { timeoutMs: 1e20 }, '/timeoutMs'],
      [
        'retry backoff delayMs 1e300',
        [
          {
            id: 'a',
            type: 'echo',
            retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 1e300 } },
          },
        ],
        {},
        '/nodes/0/retry/backoff/delayMs',
      ],
      [
        'retry backoff maxDelayMs 1e300',
        [
          {
            id: 'a',
            type: 'echo',
            retry: { attempts: 2, backoff: { type: 'exponential', delayMs: 1, maxDelayMs: 1e300 } },
          },
        ],
        {},
        '/nodes/0/retry/backoff/maxDelayMs',
      ],
    ] as const
  ).map(
    ([what, nodes, extra, path]): Case => ({
      name: `register with ${what} (over the documented maximum)`,
      request: () =>
        register({ ...wf(`bound-${path.replaceAll('/', '-')}`, [...nodes]), ...extra }),
      status: 422,
      code: 'VALIDATION_FAILED',
      check: (e) =>
        expect(e.details.issues).toContainEqual(expect.objectContaining({ code: 'SCHEMA', path })),
    }),
  ),
  ...(['.', '..'] as const).flatMap((id): Case[] => [
    {
      name: `register a workflow with the id '${id}'`,
      request: () => register(wf(id, [{ id: 'a', type: 'echo' }])),
      status: 422,
      code: 'VALIDATION_FAILED',
      check: (e) =>
        expect(e.details.issues).toContainEqual(
          expect.objectContaining({ code: 'RESERVED_ID', path: '/id' }),
        ),
    },
    {
      name: `register a node with the id '${id}'`,
      request: () => register(wf(`node-id-${id.length}`, [{ id, type: 'echo' }])),
      status: 422,
      code: 'VALIDATION_FAILED',
      check: (e) =>
        expect(e.details.issues).toContainEqual(
          expect.objectContaining({ code: 'RESERVED_ID', path: '/nodes/0/id' }),
        ),
    },
  ]),
  // ── end of the registration bounds ──
  {
    name: 'definition without nodes',
    request: () => register({ id: 'empty', name: 'empty' }),
    status: 422,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'definition that is an array',
    request: () => register([okDefinition]),
    status: 422,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'invalid cron expression',
    request: () =>
      register(
        wf('bad-cron', [{ id: 'a', type: 'echo' }], {
          triggers: [{ type: 'schedule', cron: 'every day at noon' }],
        }),
      ),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) => expect(issueCodes(e)).toContain('INVALID_CRON'),
  },
  {
    name: 'invalid time zone',
    request: () =>
      register(
        wf('bad-tz', [{ id: 'a', type: 'echo' }], {
          triggers: [{ type: 'schedule', cron: '0 * * * *', timezone: 'Mars/Olympus_Mons' }],
        }),
      ),
    status: 422,
    code: 'VALIDATION_FAILED',
    check: (e) => expect(issueCodes(e)).toContain('INVALID_TIMEZONE'),
  },
  // ── out-of-range numbers and malformed parameters: 400 ──
  {
    name: 'limit=0',
    request: () => ({ url: '/api/executions?limit=0', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'limit=1e9',
    request: () => ({ url: '/api/executions?limit=1000000000', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'limit=abc',
    request: () => ({ url: '/api/executions?limit=abc', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'unknown status filter',
    request: () => ({ url: '/api/executions?status=exploded', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'createdAfter that is not a date-time',
    request: () => ({ url: '/api/executions?createdAfter=yesterday', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.message).toContain('/querystring/createdAfter'),
  },
  {
    name: "createdBefore without an offset (the server's local time)",
    request: () => ({ url: '/api/executions?createdBefore=2024-05-01T12:00:00', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.message).toContain('/querystring/createdBefore'),
  },
  {
    name: 'createdBefore on 30 February',
    request: () => ({ url: '/api/executions?createdBefore=2024-02-30T00:00:00Z', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'createdAfter on a leap second (a date-time no store reads)',
    request: () => ({ url: '/api/executions?createdAfter=2016-12-31T23:59:60Z', headers: admin }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    check: (e) => expect(e.message).toContain('createdAfter'),
  },
  {
    name: 'negative DLQ offset',
    request: () => ({ url: '/api/dlq?offset=-1', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'priority=-1',
    request: () => execute({ options: { priority: -1 } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.message).toContain('/body/options/priority'),
  },
  {
    name: 'priority=2097152 (BullMQ refuses more than 2097151)',
    request: () => execute({ options: { priority: 2_097_152 } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.message).toContain('/body/options/priority'),
  },
  {
    name: 'runAt in 2040 (past the last due time BullMQ orders exactly, and over 366 days ahead)',
    request: () => execute({ options: { runAt: '2040-01-01T00:00:00.000Z' } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.details.issues[0].path).toBe('/body/options/runAt'),
  },
  {
    name: 'runAt in the year 9999',
    request: () => execute({ options: { runAt: '9999-12-31T23:59:59.000Z' } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => {
      expect(e.message).toContain('/body/options/runAt is more than 366 days ahead');
      expect(e.details.issues).toEqual([
        { path: '/body/options/runAt', message: expect.stringContaining('366 days') },
      ]);
    },
  },
  {
    name: 'runAt 367 days ahead (delayMs allows 366 days at most too)',
    request: () =>
      execute({ options: { runAt: new Date(Date.now() + 367 * 86_400_000).toISOString() } }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'bulk: runAt in the year 9999 in the second item',
    request: () =>
      bulk([
        { workflowId: 'valid' },
        { workflowId: 'valid', options: { runAt: '9999-01-01T00:00:00Z' } },
      ]),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.details.issues[0].path).toBe('/body/1/options/runAt'),
  },
  {
    name: 'numeric idempotencyKey',
    request: () => execute({ options: { idempotencyKey: 12345 } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.message).toContain('/body/options/idempotencyKey'),
  },
  {
    name: 'idempotencyKey longer than 256 characters',
    request: () => execute({ options: { idempotencyKey: 'k'.repeat(257) } }),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.message).toContain('/body/options/idempotencyKey'),
  },
  {
    name: 'empty idempotencyKey',
    request: () => execute({ options: { idempotencyKey: '' } }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'bulk: idempotencyKey that is an object',
    request: () => bulk([{ workflowId: 'valid', options: { idempotencyKey: { a: 1 } } }]),
    status: 400,
    code: 'BAD_REQUEST',
    check: (e) => expect(e.message).toContain('/body/0/options/idempotencyKey'),
  },
  {
    name: 'priority=1.5',
    request: () => execute({ options: { priority: 1.5 } }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'negative delayMs',
    request: () => execute({ options: { delayMs: -5 } }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'runAt that is not a date',
    request: () => execute({ options: { runAt: 'tomorrow-ish' } }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'delayMs and runAt together (engine)',
    request: () => execute({ options: { delayMs: 10, runAt: new Date().toISOString() } }),
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    name: 'execute body that is not an object',
    request: () => execute('[1,2,3]'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'empty bulk request',
    request: () => ({ method: 'POST', url: '/api/executions/bulk', headers: json, payload: '[]' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'bulk request over 1000 items',
    request: () => ({
      method: 'POST',
      url: '/api/executions/bulk',
      headers: json,
      payload: JSON.stringify(Array.from({ length: 1001 }, () => ({ workflowId: 'valid' }))),
    }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'bulk item without workflowId',
    request: () => ({
      method: 'POST',
      url: '/api/executions/bulk',
      headers: json,
      payload: '[{"initialData":1}]',
    }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'workflow id with forbidden characters in the path',
    request: () => ({ url: '/api/workflows/bad%20id', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'execution id with forbidden characters',
    request: () => ({ url: '/api/executions/a$b', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'replay from a malformed node id',
    request: () => ({
      method: 'POST',
      url: `/api/executions/${completedId}/replay`,
      headers: json,
      payload: '{"fromNodeId":"no good"}',
    }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'path parameter longer than the router allows (host uses spaneFrameworkErrors)',
    request: () => ({ url: `/api/executions/${'a'.repeat(150)}`, headers: admin }),
    status: 414,
    code: 'URI_TOO_LONG',
  },
  {
    name: 'malformed percent-encoding in the path',
    request: () => ({ url: '/api/workflows/%E0%A4%A', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  // ── missing things: 404; wrong method: 405; conflicts: 409 ──
  {
    name: 'unknown route',
    request: () => ({ url: '/api/nothing-here', headers: admin }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'unknown route outside /api',
    request: () => ({ method: 'POST', url: '/wp-login.php' }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'wrong method on a known path',
    request: () => ({ method: 'PUT', url: '/api/workflows', headers: admin }),
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    check: (e) => expect(e.details.allowed).toEqual(expect.arrayContaining(['GET', 'POST'])),
  },
  {
    name: 'wrong method on a parameterised path',
    request: () => ({ method: 'PATCH', url: '/api/executions/some-id', headers: admin }),
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
  },
  {
    name: 'unknown workflow',
    request: () => ({ url: '/api/workflows/not-registered', headers: admin }),
    status: 404,
    code: 'WORKFLOW_NOT_FOUND',
  },
  {
    name: 'execute an unknown workflow',
    request: () => ({
      method: 'POST',
      url: '/api/workflows/not-registered/execute',
      headers: admin,
    }),
    status: 404,
    code: 'WORKFLOW_NOT_FOUND',
  },
  {
    name: 'unknown execution',
    request: () => ({
      url: '/api/executions/00000000-0000-0000-0000-000000000000',
      headers: admin,
    }),
    status: 404,
    code: 'EXECUTION_NOT_FOUND',
  },
  {
    name: 'explain an unknown execution',
    request: () => ({
      url: '/api/executions/00000000-0000-0000-0000-000000000000/explain',
      headers: admin,
    }),
    status: 404,
    code: 'EXECUTION_NOT_FOUND',
  },
  {
    name: 'explain an execution id with forbidden characters',
    request: () => ({ url: '/api/executions/a$b/explain', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'unknown DLQ item',
    request: () => ({ method: 'POST', url: '/api/dlq/no-such-item/retry', headers: admin }),
    status: 404,
    code: 'DLQ_ITEM_NOT_FOUND',
  },
  {
    name: 'cancel a completed execution',
    request: () => ({
      method: 'POST',
      url: `/api/executions/${completedId}/cancel`,
      headers: admin,
    }),
    status: 409,
    code: 'INVALID_TRANSITION',
  },
  {
    name: 'resume an execution that is not paused',
    request: () => ({
      method: 'POST',
      url: `/api/executions/${completedId}/resume`,
      headers: admin,
    }),
    status: 409,
    code: 'INVALID_TRANSITION',
  },
  // ── API keys (POST/GET /api/keys, DELETE /api/keys/:id) ──
  ...(
    [
      ['no scopes', {}, '/body'],
      ['empty scopes', { scopes: [] }, '/body/scopes'],
      ['an unknown scope', { scopes: ['root'] }, '/body/scopes/0'],
      ['a scope twice', { scopes: ['read', 'read'] }, '/body/scopes'],
      ['scopes as a string', { scopes: 'read,execute' }, '/body/scopes'],
      ['an unknown field', { scopes: ['read'], role: 'admin' }, '/body/role'],
      ['a name with a control character', { scopes: ['read'], name: 'a\u0007b' }, '/body/name'],
      ['an empty name', { scopes: ['read'], name: '' }, '/body/name'],
      ['expiresIn without a unit', { scopes: ['read'], expiresIn: '30' }, '/body/expiresIn'],
      ['expiresIn in seconds', { scopes: ['read'], expiresIn: '30s' }, '/body/expiresIn'],
      ['expiresIn of zero', { scopes: ['read'], expiresIn: '0d' }, '/body/expiresIn'],
      ['expiresIn as a number', { scopes: ['read'], expiresIn: 30 }, '/body/expiresIn'],
      ['expiresIn beyond 730 days', { scopes: ['read'], expiresIn: '731d' }, '/body/expiresIn'],
      [
        'expiresIn beyond 730 days in weeks',
        { scopes: ['read'], expiresIn: '105w' },
        '/body/expiresIn',
      ],
      [
        'expiresAt in the past',
        { scopes: ['read'], expiresAt: '2020-01-01T00:00:00Z' },
        '/body/expiresAt',
      ],
      ['expiresAt not a time', { scopes: ['read'], expiresAt: 'tomorrow' }, '/body/expiresAt'],
      [
        'expiresAt in year 9999',
        { scopes: ['read'], expiresAt: '9999-01-01T00:00:00Z' },
        '/body/expiresAt',
      ],
      [
        'expiresIn and expiresAt',
        {
          scopes: ['read'],
          expiresIn: '1d',
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
        '/body/expiresAt',
      ],
      ['a tenant with forbidden characters', { scopes: ['read'], tenant: 'a/b' }, '/body/tenant'],
    ] as const
  ).map(
    ([what, payload, path]): Case => ({
      name: `create an API key: ${what}`,
      request: () => post('/api/keys', payload),
      status: 400,
      code: 'BAD_REQUEST',
      check: (e) => expect(e.details.issues[0].path).toBe(path),
    }),
  ),
  {
    name: 'create an API key: not JSON',
    request: () => ({ method: 'POST', url: '/api/keys', headers: json, payload: '{scopes' }),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'list API keys with an unknown query parameter',
    request: () => ({ url: '/api/keys?owner=x', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'revoke an API key: id with forbidden characters',
    request: () => ({ method: 'DELETE', url: '/api/keys/key.1', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'revoke an API key: a body',
    request: () => ({
      method: 'DELETE',
      url: '/api/keys/key_1',
      headers: json,
      payload: '{"now":true}',
    }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'revoke an unknown API key',
    request: () => ({ method: 'DELETE', url: '/api/keys/key_unknown', headers: admin }),
    status: 404,
    code: 'API_KEY_NOT_FOUND',
  },
  // ── secrets ──
  {
    name: 'secret name with a space',
    request: () => ({ ...post('/api/secrets/a%20b', { value: 'v' }), method: 'PUT' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'secret value that is not a string',
    request: () => ({ ...post('/api/secrets/ok', { value: { nested: true } }), method: 'PUT' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'secret body with an unknown field',
    request: () => ({ ...post('/api/secrets/ok', { value: 'v', expires: 1 }), method: 'PUT' }),
    status: 400,
    code: 'BAD_REQUEST',
    check: unknownField('/body/expires'),
  },
  {
    name: 'secret value over 64 KiB',
    request: () => ({ ...post('/api/secrets/ok', { value: '€'.repeat(30_000) }), method: 'PUT' }),
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    name: 'secret listing with a negative limit',
    request: () => ({ url: '/api/secrets?limit=-1', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'secret listing with a cursor that is no name',
    request: () => ({ url: '/api/secrets?cursor=%00', headers: admin }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'delete an unknown secret',
    request: () => ({ method: 'DELETE', url: '/api/secrets/nothing-here', headers: admin }),
    status: 404,
    code: 'SECRET_NOT_FOUND',
  },
  {
    name: 'read key saving a secret (checked before the body)',
    request: () => ({
      method: 'PUT',
      url: '/api/secrets/ok',
      headers: { ...bearer(KEYS.readA), 'content-type': 'application/json' },
      payload: '{ not even json',
    }),
    status: 403,
    code: 'FORBIDDEN',
  },
  // ── quotas (tenant B: one workflow at most, no active execution) ──
  {
    name: "a new workflow past the tenant's maxWorkflows",
    request: () => ({ ...register(wf('second', [{ id: 'a', type: 'echo' }])), headers: jsonB }),
    status: 429,
    code: 'QUOTA_EXCEEDED',
    check: (e) =>
      expect(e.details).toEqual({ quota: 'workflows', limit: 1, current: 1, requested: 1 }),
  },
  {
    name: "an execution past the tenant's maxActiveExecutions",
    request: () => ({ ...post('/api/workflows/limited/execute', {}), headers: jsonB }),
    status: 429,
    code: 'QUOTA_EXCEEDED',
    check: (e) => expect(e.details).toMatchObject({ quota: 'activeExecutions', limit: 0 }),
  },
  {
    name: "a bulk start past the tenant's maxActiveExecutions",
    request: () => ({
      ...bulk([{ workflowId: 'limited' }, { workflowId: 'limited' }]),
      headers: jsonB,
    }),
    status: 429,
    code: 'QUOTA_EXCEEDED',
    check: (e) => expect(e.details).toMatchObject({ quota: 'activeExecutions', requested: 2 }),
  },
  {
    name: "a webhook delivery past the tenant's maxActiveExecutions",
    request: () => ({
      method: 'POST',
      url: '/api/webhooks/tenant-b/limited',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":1}',
    }),
    status: 429,
    code: 'QUOTA_EXCEEDED',
  },
  // ── authentication and scopes ──
  {
    name: 'no Authorization header',
    request: () => ({ url: '/api/workflows' }),
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'unknown API key',
    request: () => ({ url: '/api/workflows', headers: bearer('not-a-configured-key-123') }),
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'Basic instead of Bearer',
    request: () => ({ url: '/api/workflows', headers: { authorization: `Basic ${KEYS.adminA}` } }),
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'read key registering a workflow (checked before the body)',
    request: () => ({
      ...register('{ not even json'),
      headers: { ...bearer(KEYS.readA), 'content-type': 'application/json' },
    }),
    status: 403,
    code: 'FORBIDDEN',
  },
];

beforeAll(async () => {
  h = await createHttpHarness({
    engine: { quotas: { tenants: { 'tenant-b': { maxWorkflows: 1, maxActiveExecutions: 0 } } } },
  });
  const res = await h.app.inject(register(okDefinition));
  expect(res.statusCode).toBe(201);
  const limited = await h.app.inject({
    ...register(
      wf('limited', [{ id: 'a', type: 'echo' }], {
        triggers: [{ type: 'webhook', path: 'limited', method: 'POST' }],
      }),
    ),
    headers: jsonB,
  });
  expect(limited.statusCode, limited.body).toBe(201);
  const hooked = await h.app.inject(
    register(
      wf('hooked', [{ id: 'a', type: 'echo' }], {
        triggers: [{ type: 'webhook', path: 'deep', method: 'POST' }],
      }),
    ),
  );
  expect(hooked.statusCode, hooked.body).toBe(201);
  const run = await h.app.inject({
    method: 'POST',
    url: '/api/workflows/valid/execute',
    headers: admin,
  });
  completedId = run.json().executionId;
  await h.waitForExecution(completedId);
});
afterAll(async () => {
  await h?.close();
});

it(`has at least 25 cases (${cases.length})`, () => {
  expect(cases.length).toBeGreaterThanOrEqual(25);
});

it.each(cases)('$name → $status $code', async ({ request, status, code, check }) => {
  const res = await h.app.inject(request());
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/json');
  const body = res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  check?.(body.error);
});

it('passes a webhook body that only looks like deep JSON on as text', async () => {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/webhooks/tenant-a/deep',
    headers: { 'content-type': 'text/plain' },
    payload: '['.repeat(5_000),
  });
  expect(res.statusCode, res.body).toBe(202);
  const [id] = res.json().executionIds as string[];
  const done = await h.waitForExecution(id!);
  expect(done.initialData).toMatchObject({ body: '['.repeat(5_000) });
});

it('leaves the engine and the plugin healthy after all of it', async () => {
  const ready = await h.app.inject({ url: '/health/ready' });
  expect(ready.statusCode).toBe(200);
  expect(Object.prototype).not.toHaveProperty('isAdmin');
  expect(Object.prototype).not.toHaveProperty('polluted');
});

it('takes a well-formed surrogate pair (an emoji as an escape) and refuses a webhook JSON body with a lone one', async () => {
  const ok = await h.app.inject(execute('{"initialData":{"note":"\\ud83d\\ude00"}}'));
  expect(ok.statusCode, ok.body).toBe(202);
  const done = await h.waitForExecution(ok.json().executionId as string);
  expect(done.initialData).toEqual({ note: '😀' });
  const lone = await h.app.inject({
    method: 'POST',
    url: '/api/webhooks/tenant-a/deep',
    headers: { 'content-type': 'application/json' },
    payload: '{"note":"a\\ud800"}',
  });
  expect(lone.statusCode, lone.body).toBe(400);
  expect(lone.json().error).toMatchObject({
    code: 'PAYLOAD_NOT_STORABLE',
    details: { path: '/body/note' },
  });
});

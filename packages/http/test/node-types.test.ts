import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createHttpHarness, type HttpHarness, KEYS, wf } from './support/http-harness.js';

let h: HttpHarness;

const MAIL_CONFIG = {
  type: 'object',
  properties: { to: { type: 'string', format: 'email' } },
  required: ['to'],
  additionalProperties: false,
};

beforeAll(async () => {
  h = await createHttpHarness({ workers: false });
  h.registry.register(
    'mail',
    { execute: async () => ({ success: true }) },
    {
      description: 'Sends a mail',
      config: MAIL_CONFIG,
      output: { type: 'object', required: ['sent'] },
      concurrency: 2,
    },
  );
});
afterAll(async () => {
  await h?.close();
});

describe('GET /api/node-types', () => {
  it('lists the built-ins, then the registered types, with their schemas (read scope)', async () => {
    const res = await h.app.inject({ url: '/api/node-types', headers: bearer(KEYS.readA) });
    expect(res.statusCode, res.body).toBe(200);
    const { items } = res.json() as { items: Record<string, unknown>[] };
    expect(items.map((t) => [t.type, t.builtIn])).toEqual([
      ['delay', true],
      ['map', true],
      ['sub-workflow', true],
      ['wait-for-signal', true],
      ['echo', false],
      ['fail', false],
      ['wait', false],
      ['throw', false],
      ['route', false],
      ['mail', false],
    ]);
    expect(items[0]).toMatchObject({
      description: expect.any(String),
      config: { anyOf: expect.any(Array) },
    });
    expect(items.at(-1)).toEqual({
      type: 'mail',
      builtIn: false,
      description: 'Sends a mail',
      config: MAIL_CONFIG,
      output: { type: 'object', required: ['sent'] },
      concurrency: 2,
    });
    expect(items).toEqual(h.engine.listNodeTypes());
  });

  it('needs an API key', async () => {
    const res = await h.app.inject({ url: '/api/node-types' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHORIZED');
  });

  it('is what registration checks a node config against (422 with the pointers)', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: bearer(KEYS.adminA),
      payload: wf('mailer', [{ id: 'm', type: 'mail', config: { to: 'ada', subject: 'hi' } }]),
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.details.issues).toEqual([
      {
        path: '/nodes/0/config/subject',
        code: 'INVALID_NODE_CONFIG',
        message: "unknown option 'subject'",
        severity: 'error',
      },
      {
        path: '/nodes/0/config/to',
        code: 'INVALID_NODE_CONFIG',
        message: 'config.to must be a valid email',
        severity: 'error',
      },
    ]);
  });

  it('is in the OpenAPI document, and the node config points to it', async () => {
    const doc = (await h.app.inject({ url: '/docs/json' })).json();
    const op = doc.paths['/api/node-types'].get;
    expect(op.operationId).toBe('listNodeTypes');
    expect(op.tags).toEqual(['node-types']);
    expect(op.responses['200'].content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: {
        items: { type: 'array', items: { $ref: '#/components/schemas/NodeTypeInfo' } },
      },
    });
    expect(doc.components.schemas.NodeTypeInfo.required).toEqual(['type', 'builtIn']);
    expect(doc.components.schemas.NodeDefinition.properties.config.description).toContain(
      'GET /api/node-types',
    );
  });
});

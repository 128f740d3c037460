import { compileErrors, validate } from '@readme/openapi-parser';
import { ENGINE_EVENT_NAMES } from '@spane/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_EXAMPLES } from '../src/openapi-examples.js';
import { bearer, createHttpHarness, type HttpHarness, KEYS, wf } from './support/http-harness.js';

/**
 * The document at /docs/json, as a real server serves it, is a valid OpenAPI 3.1 document
 * (checked by @readme/openapi-parser: the 3.1 schema plus unique operationIds and path
 * parameters), and what it promises holds: its examples match its schemas and the server
 * takes its request examples, the event stream sends the frames it describes.
 */

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let h: HttpHarness;
let doc: Json;
const admin = bearer(KEYS.adminA);

function operations(d: Json): { path: string; method: string; op: Json }[] {
  return Object.entries(d.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op: op as Json })),
  );
}

function operation(operationId: string): Json {
  const found = operations(doc).find((o) => o.op.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId}`);
  return found.op;
}

async function errorsOf(d: Json): Promise<string | undefined> {
  const result = await validate(structuredClone(d) as Parameters<typeof validate>[0]);
  if (result.valid && result.warnings.length === 0) return undefined;
  return result.valid ? JSON.stringify(result.warnings) : compileErrors(result);
}

beforeAll(async () => {
  h = await createHttpHarness();
  // The node types of the register example (apps/server's), here as plain echoes.
  const echo = {
    execute: async (ctx: { inputData: unknown }) => ({
      success: true as const,
      data: ctx.inputData,
    }),
  };
  h.registry.register('transform', echo);
  h.registry.register('http', echo);
  const res = await h.app.inject({ url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(async () => {
  await h?.close();
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and valid: no error and no warning from the validator', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(await errorsOf(doc)).toBeUndefined();
  });

  const corruptions: { name: string; corrupt: (d: Json) => void }[] = [
    {
      name: 'a repeated operationId',
      corrupt: (d) => {
        d.paths['/api/workflows'].get.operationId = 'registerWorkflow';
      },
    },
    {
      name: 'a method that OpenAPI 3.1 does not have (query)',
      corrupt: (d) => {
        d.paths['/api/workflows'].query = d.paths['/api/workflows'].get;
      },
    },
    {
      name: 'a path parameter named * that the template does not have',
      corrupt: (d) => {
        d.paths['/api/webhooks/{tenant}/{path}'].post.parameters[1].name = '*';
      },
    },
    {
      name: 'a response without its description',
      corrupt: (d) => {
        delete d.paths['/api/executions/{id}'].get.responses['200'].description;
      },
    },
  ];
  it.each(corruptions)('makes the validator fail when corrupted: $name', async ({ corrupt }) => {
    const broken = structuredClone(doc);
    corrupt(broken);
    expect(await errorsOf(broken)).toEqual(expect.any(String));
  });

  it('has a unique operationId on every operation, and no {*} path', () => {
    const all = operations(doc);
    const ids = all.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(doc.paths).filter((p) => p.includes('*'))).toEqual([]);
  });

  it('documents the webhook catch-all as one operation per trigger method with {tenant} and {path}', () => {
    expect(Object.keys(doc.paths).filter((p) => p.includes('webhooks'))).toEqual([
      '/api/webhooks/{tenant}/{path}',
    ]);
    const item = doc.paths['/api/webhooks/{tenant}/{path}'];
    expect(Object.keys(item).sort()).toEqual(['delete', 'get', 'patch', 'post', 'put']);
    expect(item.post.operationId).toBe('triggerWebhookPost');
    expect(item.post.parameters).toEqual([
      expect.objectContaining({
        name: 'tenant',
        in: 'path',
        required: true,
        schema: expect.objectContaining({ pattern: '^[A-Za-z0-9_.-]+$' }),
      }),
      expect.objectContaining({ name: 'path', in: 'path', required: true }),
    ]);
    expect(item.post.description).toContain('<t>.<delivery id>.<raw body>');
    expect(item.post.requestBody.required).toBe(false);
    expect(item.get.requestBody).toBeUndefined();
  });

  it('documents 429 QUOTA_EXCEEDED on registrations and starts only, with the error body', () => {
    for (const id of [
      'registerWorkflow',
      'executeWorkflow',
      'executeWorkflows',
      'replayExecution',
    ]) {
      const res = operation(id).responses['429'];
      expect(res.description, id).toContain('QUOTA_EXCEEDED');
      expect(res.content['application/json'].schema, id).toBeDefined();
    }
    expect(doc.paths['/api/webhooks/{tenant}/{path}'].post.responses['429'].description).toContain(
      'QUOTA_EXCEEDED',
    );
    expect(operation('listWorkflows').responses['429']?.description ?? '').not.toContain(
      'QUOTA_EXCEEDED',
    );
  });

  it('marks the strict bodies as such and the optional ones as optional', () => {
    const execute = operation('executeWorkflow').requestBody;
    expect(execute.required).toBe(false);
    expect(execute.content['application/json'].schema.additionalProperties).toBe(false);
    const signal = operation('signalExecution').requestBody;
    expect(signal.required).toBe(false);
    expect(signal.content['application/json'].schema.description).toContain('any JSON value');
    const bulk = operation('executeWorkflows').requestBody;
    expect(bulk.required).toBe(true);
    expect(bulk.content['application/json'].schema.items.additionalProperties).toBe(false);
  });

  it('describes a node config and points to GET /api/node-types', () => {
    const config = doc.components.schemas.NodeDefinition.properties.config;
    expect(config.type).toBe('object');
    expect(config.description).toContain('GET /api/node-types');
  });

  it('describes the event stream: text/event-stream, every event type and its data', () => {
    const ok = operation('streamExecutionEvents').responses['200'];
    expect(Object.keys(ok.content)).toEqual(['text/event-stream']);
    for (const name of ['state', ...ENGINE_EVENT_NAMES, 'error']) {
      expect(ok.description).toContain(`\`${name}\``);
    }
    const frames = doc.components.schemas.ExecutionStreamEvent.anyOf as Json[];
    expect(frames.map((f) => f.properties.event.enum)).toEqual(
      ['state', ...ENGINE_EVENT_NAMES, 'error'].map((name) => [name]),
    );
  });
});

describe('examples', () => {
  const main: [string, ('request' | number)[]][] = [
    ['registerWorkflow', ['request', 201]],
    ['executeWorkflow', ['request', 202]],
    ['executeWorkflows', ['request', 202]],
    ['getExecution', [200]],
    ['explainExecution', [200]],
    ['listExecutions', [200]],
    ['listWorkflows', [200]],
    ['putSecret', ['request', 201, 200]],
    ['listSecrets', [200]],
    ['createApiKey', ['request', 201]],
    ['listApiKeys', [200]],
    ['signalExecution', ['request', 202]],
  ];
  it.each(main)('%s has examples of %j', (operationId, parts) => {
    const op = operation(operationId);
    for (const part of parts) {
      const media =
        part === 'request'
          ? op.requestBody.content['application/json']
          : op.responses[String(part)].content['application/json'];
      expect(Object.keys(media.examples ?? {}).length, `${operationId} ${part}`).toBeGreaterThan(0);
    }
  });

  it('every example matches the schema beside it', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'spane:openapi', components: doc.components });
    let checked = 0;
    for (const { path, method, op } of operations(doc)) {
      const medias: [string, Json][] = [];
      const request = op.requestBody?.content?.['application/json'];
      if (request) medias.push(['request', request]);
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const media = (response as Json).content?.['application/json'];
        if (media) medias.push([status, media]);
      }
      for (const [part, media] of medias) {
        if (!media.examples) continue;
        const schema = JSON.parse(
          JSON.stringify(media.schema).replaceAll('"#/components/', '"spane:openapi#/components/'),
        );
        const check = ajv.compile(schema);
        for (const [name, example] of Object.entries(media.examples as Json)) {
          const valid = check(example.value);
          expect(valid, `${method} ${path} ${part} ${name}: ${ajv.errorsText(check.errors)}`).toBe(
            true,
          );
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('the server takes the request examples: register, execute, bulk execute, put secret', async () => {
    const registerExample = OPERATION_EXAMPLES.registerWorkflow?.request?.twoNodes?.value;
    const registered = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: admin,
      payload: registerExample as Json,
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const workflowId = registered.json().workflowId;
    for (const example of Object.values(OPERATION_EXAMPLES.executeWorkflow?.request ?? {})) {
      const res = await h.app.inject({
        method: 'POST',
        url: `/api/workflows/${workflowId}/execute`,
        headers: admin,
        payload: example.value as Json,
      });
      expect(res.statusCode, res.body).toBe(202);
    }
    const bulk = await h.app.inject({
      method: 'POST',
      url: '/api/executions/bulk',
      headers: admin,
      payload: OPERATION_EXAMPLES.executeWorkflows?.request?.two?.value as Json[],
    });
    expect(bulk.statusCode, bulk.body).toBe(202);
    expect(bulk.json().executionIds).toHaveLength(2);
    const secret = await h.app.inject({
      method: 'PUT',
      url: '/api/secrets/example',
      headers: admin,
      payload: OPERATION_EXAMPLES.putSecret?.request?.value?.value as Json,
    });
    expect(secret.statusCode, secret.body).toBe(201);
  });

  it('the server takes the request example of createApiKey and answers as its 201 example does', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: admin,
      payload: OPERATION_EXAMPLES.createApiKey?.request?.thirtyDays?.value as Json,
    });
    expect(res.statusCode, res.body).toBe(201);
    const example = OPERATION_EXAMPLES.createApiKey?.responses?.[201]?.created?.value as Json;
    expect(Object.keys(res.json()).sort()).toEqual(Object.keys(example).sort());
  });

  it('the event stream sends only frames the document describes', async () => {
    await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: admin,
      payload: wf('streamed', [{ id: 'w', type: 'wait', config: { ms: 200 } }]),
    });
    const started = await h.app.inject({
      method: 'POST',
      url: '/api/workflows/streamed/execute',
      headers: admin,
    });
    const { executionId } = started.json();
    // Resolves once the stream ends, after the run's final state.
    const stream = await h.app.inject({
      url: `/api/executions/${executionId}/events`,
      headers: admin,
    });
    expect(stream.headers['content-type']).toContain('text/event-stream');
    const frames = stream.body
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => ({
        event: /^event: (.*)$/m.exec(block)?.[1],
        data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null'),
      }));
    expect(frames.map((f) => f.event)).toEqual(
      expect.arrayContaining(['state', 'workflow:completed']),
    );
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'spane:openapi', components: doc.components });
    const check = ajv.compile({ $ref: 'spane:openapi#/components/schemas/ExecutionStreamEvent' });
    for (const frame of frames) {
      expect(check(frame), `${frame.event}: ${ajv.errorsText(check.errors)}`).toBe(true);
    }
  });
});

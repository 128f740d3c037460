import { type EnqueueOptions, type WorkflowDefinition, WorkflowNotFoundError } from '@spane/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http-errors.js';
import {
  BulkExecuteBody,
  components,
  ExecuteBody,
  ExecutionAccepted,
  ExecutionsAccepted,
  errorResponses,
  StoredWorkflowSchema,
  WorkflowDefinitionSchema,
  WorkflowList,
  WorkflowParams,
  WorkflowQuery,
} from '../http-schemas.js';
import type { RequestAuth } from '../request-auth.js';
import { BEARER, emptyBodyAsObject, type RouteContext, refuseBody } from '../route-context.js';
import { redactStoredWorkflow } from '../secret-redaction.js';
import { checkStartTimes } from '../start-options.js';

const TAGS = ['workflows'];

/**
 * Accepts any body: a definition is checked by the engine (`validateWorkflow`), which
 * reports every issue with its JSON pointer as a 422 — not the first schema error as a 400.
 * The body schema stays on the route for the OpenAPI document.
 */
const acceptAny = () => (value: unknown) => ({ value });

/** What a read route answers with: definitions redacted unless the key has `admin`. */
function visible<T extends { definition: unknown }>(
  auth: RequestAuth,
  request: FastifyRequest,
  stored: T,
): T {
  return auth.allows(request, 'admin') ? stored : redactStoredWorkflow(stored);
}

const REDACTION_NOTE =
  'Keys without the `admin` scope see definitions redacted: in node configs and metadata every string or number under a key that looks secret (`secret`, `token`, `password`, `authorization`, `apiKey`, `credential`, `cookie`, `signature`, …) reads `"[secret]"`, as does a webhook trigger\'s literal `secret`; `{ "$secret": name }` references are shown as they are.';

/**
 * Register, read, list and delete workflow definitions; start executions of them.
 * The order of registration is the order of the paths in the OpenAPI document.
 */
export function workflowRoutes(app: FastifyInstance, ctx: RouteContext): void {
  registerWorkflowRoute(app, ctx);
  listWorkflowsRoute(app, ctx);
  getWorkflowRoute(app, ctx);
  listWorkflowVersionsRoute(app, ctx);
  deleteWorkflowRoute(app, ctx);
  executeWorkflowRoute(app, ctx);
  executeWorkflowsRoute(app, ctx);
}

/** `POST /api/workflows`: checks and saves a definition; 201 with its `location`. */
function registerWorkflowRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.post<{ Body: WorkflowDefinition }>(
    '/api/workflows',
    {
      onRequest: auth.require('admin'),
      validatorCompiler: acceptAny,
      schema: {
        tags: TAGS,
        operationId: 'registerWorkflow',
        summary: 'Register a workflow definition (a changed definition becomes a new version)',
        description:
          "Needs the `admin` scope. An invalid definition (schema — an unknown field included —, cycle, unknown node type, a node config that fails its type's config schema (see GET /api/node-types), bad ids, cron or time zone) answers 422 with every issue and its JSON pointer in `error.details.issues`.",
        security: BEARER,
        body: components.ref(WorkflowDefinitionSchema),
        response: { 201: components.ref(StoredWorkflowSchema), ...errorResponses() },
      },
    },
    async (request, reply) => {
      if (request.body === undefined || request.body === null) {
        throw new HttpError(400, 'BAD_REQUEST', 'A workflow definition (JSON) is required');
      }
      const stored = await engine.registerWorkflow(request.body, {
        tenantId: auth.tenantOf(request),
      });
      return reply
        .code(201)
        .header('location', `${app.prefix}/api/workflows/${encodeURIComponent(stored.workflowId)}`)
        .send(stored);
    },
  );
}

/** `GET /api/workflows`: the current version of each of the tenant's workflows. */
function listWorkflowsRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get(
    '/api/workflows',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'listWorkflows',
        summary: "The current version of each of the tenant's workflows",
        description: REDACTION_NOTE,
        security: BEARER,
        response: { 200: components.inline(WorkflowList), ...errorResponses() },
      },
    },
    async (request) => {
      const items = await engine.listWorkflows({ tenantId: auth.tenantOf(request) });
      return { items: items.map((stored) => visible(auth, request, stored)) };
    },
  );
}

/** `GET /api/workflows/:id`: one workflow, its current version or the one of `?version=`. */
function getWorkflowRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get<{ Params: WorkflowParams; Querystring: WorkflowQuery }>(
    '/api/workflows/:id',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'getWorkflow',
        summary: 'A workflow: its current version, or the one given by ?version=',
        description: REDACTION_NOTE,
        security: BEARER,
        params: components.inline(WorkflowParams),
        querystring: components.inline(WorkflowQuery),
        response: { 200: components.ref(StoredWorkflowSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { version } = request.query;
      const scope =
        version === undefined
          ? { tenantId: auth.tenantOf(request) }
          : { tenantId: auth.tenantOf(request), version };
      const stored = await engine.getWorkflow(id, scope);
      if (!stored) throw new WorkflowNotFoundError(id, version);
      return visible(auth, request, stored);
    },
  );
}

/** `GET /api/workflows/:id/versions`: every saved version of a workflow, oldest first. */
function listWorkflowVersionsRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get<{ Params: WorkflowParams }>(
    '/api/workflows/:id/versions',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'listWorkflowVersions',
        summary: 'Every saved version of a workflow, oldest first',
        description: REDACTION_NOTE,
        security: BEARER,
        params: components.inline(WorkflowParams),
        response: { 200: components.inline(WorkflowList), ...errorResponses() },
      },
    },
    async (request) => {
      const { id } = request.params;
      const items = await engine.listWorkflowVersions(id, { tenantId: auth.tenantOf(request) });
      if (items.length === 0) throw new WorkflowNotFoundError(id);
      return { items: items.map((stored) => visible(auth, request, stored)) };
    },
  );
}

/** `DELETE /api/workflows/:id`: removes a workflow from listings; 204. */
function deleteWorkflowRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.delete<{ Params: WorkflowParams }>(
    '/api/workflows/:id',
    {
      onRequest: auth.require('admin'),
      preValidation: refuseBody,
      schema: {
        tags: TAGS,
        operationId: 'deleteWorkflow',
        summary: 'Remove a workflow from listings; running executions finish on their version',
        security: BEARER,
        params: components.inline(WorkflowParams),
        response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await engine.unregisterWorkflow(id, { tenantId: auth.tenantOf(request) }))) {
        throw new WorkflowNotFoundError(id);
      }
      return reply.code(204).send();
    },
  );
}

/** `POST /api/workflows/:id/execute`: starts one execution of the current version; 202. */
function executeWorkflowRoute(app: FastifyInstance, { engine, auth, trace }: RouteContext): void {
  app.post<{ Params: WorkflowParams; Body: ExecuteBody | undefined }>(
    '/api/workflows/:id/execute',
    {
      onRequest: auth.require('execute'),
      preValidation: emptyBodyAsObject,
      schema: {
        tags: TAGS,
        operationId: 'executeWorkflow',
        summary: "Start an execution of the workflow's current version",
        description:
          'Needs the `execute` scope. The body is optional; the input goes in `initialData` (at most 1 MiB as JSON, 413 beyond). Any other top-level field (e.g. the data itself, not wrapped) answers 400 naming it. A W3C `traceparent` header (with `tracestate`) makes the execution part of that trace (see the README, OpenTelemetry).',
        security: BEARER,
        params: components.inline(WorkflowParams),
        body: components.inline(ExecuteBody),
        response: { 202: components.inline(ExecutionAccepted), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      checkStartTimes([{ options: body.options, path: '/body/options' }]);
      const options: EnqueueOptions = { ...body.options, tenantId: auth.tenantOf(request) };
      const traceContext = trace.of(request.headers);
      if (traceContext) options.traceContext = traceContext;
      const executionId = await engine.enqueueWorkflow(
        request.params.id,
        body.initialData,
        options,
      );
      return reply.code(202).send({ executionId });
    },
  );
}

/**
 * `POST /api/executions/bulk`: starts several executions; every workflow is looked up
 * first, so an unknown one answers 404 before anything starts; 202.
 */
function executeWorkflowsRoute(app: FastifyInstance, { engine, auth, trace }: RouteContext): void {
  app.post<{ Body: BulkExecuteBody }>(
    '/api/executions/bulk',
    {
      onRequest: auth.require('execute'),
      schema: {
        tags: ['executions'],
        operationId: 'executeWorkflows',
        summary: 'Start several executions (at most 1000)',
        description:
          'Needs the `execute` scope. Every workflow is looked up first, so an unknown one answers 404 before anything starts.',
        security: BEARER,
        body: components.inline(BulkExecuteBody),
        response: { 202: components.inline(ExecutionsAccepted), ...errorResponses() },
      },
    },
    async (request, reply) => {
      checkStartTimes(
        request.body.map((r, i) => ({ options: r.options, path: `/body/${i}/options` })),
      );
      const tenantId = auth.tenantOf(request);
      const traceContext = trace.of(request.headers);
      for (const workflowId of new Set(request.body.map((r) => r.workflowId))) {
        if (!(await engine.getWorkflow(workflowId, { tenantId }))) {
          throw new WorkflowNotFoundError(workflowId);
        }
      }
      const executionIds = await engine.enqueueWorkflows(
        request.body.map((r) => ({
          workflowId: r.workflowId,
          initialData: r.initialData,
          options: traceContext
            ? { ...r.options, tenantId, traceContext }
            : { ...r.options, tenantId },
        })),
      );
      return reply.code(202).send({ executionIds });
    },
  );
}

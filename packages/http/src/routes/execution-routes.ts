import {
  type ExecutionFilter,
  ExecutionNotFoundError,
  type IWorkflowEngine,
  type TenantScope,
} from '@spane/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  components,
  ExecutionAccepted,
  ExecutionExplanationSchema,
  ExecutionPageSchema,
  ExecutionStateSchema,
  ExecutionStatusResult,
  errorResponses,
  IdParams,
  ListExecutionsQuery,
  LogList,
  ReplayBody,
  SpanList,
} from '../http-schemas.js';
import type { RequestAuth } from '../request-auth.js';
import { BEARER, emptyBodyAsObject, type RouteContext, refuseBody } from '../route-context.js';
import { requireExecution } from '../tenant-guard.js';

const TAGS = ['executions'];

type Action = 'pause' | 'resume' | 'cancel';

/** The OpenAPI words of a lifecycle action and the engine call behind it. */
interface ActionSpec {
  operationId: string;
  summary: string;
  run: (engine: IWorkflowEngine, id: string, scope: TenantScope) => Promise<void>;
}

const ACTIONS: Record<Action, ActionSpec> = {
  pause: {
    operationId: 'pauseExecution',
    summary: 'Pause: no new node starts; running nodes finish and are recorded',
    run: (engine, id, scope) => engine.pauseWorkflow(id, scope),
  },
  resume: {
    operationId: 'resumeExecution',
    summary: 'Resume a paused execution where it stopped',
    run: (engine, id, scope) => engine.resumeWorkflow(id, scope),
  },
  cancel: {
    operationId: 'cancelExecution',
    summary: 'Cancel: running nodes see their signal aborted; no job is left in Redis',
    run: (engine, id, scope) => engine.cancelWorkflow(id, scope),
  },
};

/**
 * Listing, state, logs and trace of executions, and their lifecycle actions.
 * The order of registration is the order of the paths in the OpenAPI document.
 */
export function executionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  listExecutionsRoute(app, ctx);
  getExecutionRoute(app, ctx);
  getExecutionLogsRoute(app, ctx);
  getExecutionTraceRoute(app, ctx);
  explainExecutionRoute(app, ctx);
  for (const [action, spec] of Object.entries(ACTIONS) as [Action, ActionSpec][]) {
    executionActionRoute(app, ctx, action, spec);
  }
  replayExecutionRoute(app, ctx);
}

/** The caller's tenant as the scope of an engine call. */
function scopeOf(auth: RequestAuth, request: FastifyRequest): TenantScope {
  return { tenantId: auth.tenantOf(request) };
}

/** `GET /api/executions`: the tenant's executions, newest first, a page at a time. */
function listExecutionsRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get<{ Querystring: ListExecutionsQuery }>(
    '/api/executions',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'listExecutions',
        summary: "The tenant's executions, newest first, a page at a time",
        security: BEARER,
        querystring: components.inline(ListExecutionsQuery),
        response: { 200: components.inline(ExecutionPageSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const filter: ExecutionFilter = { tenantId: auth.tenantOf(request) };
      if (q.workflowId !== undefined) filter.workflowId = q.workflowId;
      if (q.status !== undefined && q.status.length > 0) filter.status = q.status;
      if (q.createdAfter !== undefined) filter.createdAfter = q.createdAfter;
      if (q.createdBefore !== undefined) filter.createdBefore = q.createdBefore;
      if (q.limit !== undefined) filter.limit = q.limit;
      if (q.cursor !== undefined) filter.cursor = q.cursor;
      return engine.listExecutions(filter);
    },
  );
}

/** `GET /api/executions/:id`: the whole state of an execution. */
function getExecutionRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get<{ Params: IdParams }>(
    '/api/executions/:id',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'getExecution',
        summary: 'The state of an execution, with every node',
        security: BEARER,
        params: components.inline(IdParams),
        response: { 200: components.ref(ExecutionStateSchema), ...errorResponses() },
      },
    },
    (request) => requireExecution(engine, request.params.id, scopeOf(auth, request)),
  );
}

/** `GET /api/executions/:id/logs`: engine events and `ctx.log` lines of an execution. */
function getExecutionLogsRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get<{ Params: IdParams }>(
    '/api/executions/:id/logs',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'getExecutionLogs',
        summary: 'Log lines of an execution: engine events and ctx.log calls',
        security: BEARER,
        params: components.inline(IdParams),
        response: { 200: components.inline(LogList), ...errorResponses() },
      },
    },
    async (request) => {
      return { items: await engine.getLogs(request.params.id, scopeOf(auth, request)) };
    },
  );
}

/** `GET /api/executions/:id/trace`: one span per node attempt. */
function getExecutionTraceRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get<{ Params: IdParams }>(
    '/api/executions/:id/trace',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'getExecutionTrace',
        summary: 'The trace of an execution: one span per node attempt',
        security: BEARER,
        params: components.inline(IdParams),
        response: { 200: components.inline(SpanList), ...errorResponses() },
      },
    },
    async (request) => {
      return { items: await engine.getTrace(request.params.id, scopeOf(auth, request)) };
    },
  );
}

/** `GET /api/executions/:id/explain`: why each unfinished node is not running. */
function explainExecutionRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get<{ Params: IdParams }>(
    '/api/executions/:id/explain',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'explainExecution',
        summary: "Why isn't my node running? Each unfinished node with its reason",
        description:
          'Read from the store and Redis as they are now (nothing is changed): per node that is not settled, a typed `reason` (discriminated on `kind`) and a `message` sentence. A finished execution answers its status and no nodes. Needs Redis and the store.',
        security: BEARER,
        params: components.inline(IdParams),
        response: { 200: components.ref(ExecutionExplanationSchema), ...errorResponses() },
      },
    },
    (request) => engine.explain(request.params.id, scopeOf(auth, request)),
  );
}

/** `POST /api/executions/:id/<action>`: pause, resume or cancel; answers the status after it. */
function executionActionRoute(
  app: FastifyInstance,
  { engine, auth }: RouteContext,
  action: Action,
  spec: ActionSpec,
): void {
  app.post<{ Params: IdParams }>(
    `/api/executions/:id/${action}`,
    {
      onRequest: auth.require('execute'),
      preValidation: refuseBody,
      schema: {
        tags: TAGS,
        operationId: spec.operationId,
        summary: spec.summary,
        description:
          'Needs the `execute` scope. Takes no body (an empty one or `{}` pass; a field answers 400). A transition the lifecycle does not allow (e.g. cancel a completed run) answers 409 INVALID_TRANSITION.',
        security: BEARER,
        params: components.inline(IdParams),
        response: { 200: components.inline(ExecutionStatusResult), ...errorResponses() },
      },
    },
    async (request) => {
      const { id } = request.params;
      const scope = scopeOf(auth, request);
      await spec.run(engine, id, scope);
      const after = await engine.getExecutionSummary(id, scope);
      if (!after) throw new ExecutionNotFoundError(id);
      return { executionId: id, status: after.status };
    },
  );
}

/** `POST /api/executions/:id/replay`: runs an execution again as a new one; 202. */
function replayExecutionRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.post<{ Params: IdParams; Body: ReplayBody | undefined }>(
    '/api/executions/:id/replay',
    {
      onRequest: auth.require('execute'),
      preValidation: emptyBodyAsObject,
      schema: {
        tags: TAGS,
        operationId: 'replayExecution',
        summary: 'Run an execution again as a new one (metadata.replayedFrom links them)',
        description:
          'Needs the `execute` scope. The body is optional; `fromNodeId` replays from that node.',
        security: BEARER,
        params: components.inline(IdParams),
        body: components.inline(ReplayBody),
        response: { 202: components.inline(ExecutionAccepted), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const fromNodeId = request.body?.fromNodeId;
      const executionId = await engine.replayWorkflow(
        id,
        fromNodeId === undefined ? {} : { fromNodeId },
        scopeOf(auth, request),
      );
      return reply.code(202).send({ executionId });
    },
  );
}

import {
  DEFAULT_TENANT,
  DuplicateDeliveryError,
  type ExecutionStore,
  InvalidArgumentError,
  InvalidSignatureError,
  QuotaExceededError,
  type SecretRef,
  SecretsDisabledError,
  type SecretVault,
  type TenantScope,
  traceContextOf,
  WebhookNotFoundError,
  WorkflowNotFoundError,
} from '@spane/core';
import type { Job } from 'bullmq';
import type { ScheduleJobData } from './control-jobs.js';
import type { EngineLogger } from './engine-options.js';
import type { ExecutionStarter } from './execution-starter.js';
import {
  scheduleIdempotencyKey,
  schedulerId as schedulerIdOf,
  schedulerIndex,
  webhookIdempotencyKey,
  webhookRoute,
} from './redis-keys.js';
import { Schedules } from './schedules.js';
import {
  checkDeliveryId,
  DELIVERY_HEADER,
  normaliseHeaders,
  parseWebhookBody,
  routeKey,
  SIGNATURE_HEADER,
  splitWebhookPath,
  verifyWebhookSignature,
  type WebhookRoutes,
  type WebhookTarget,
  webhookTriggers,
} from './webhook-triggers.js';

/** What {@link TriggerDispatch} needs. */
export interface TriggerDispatchContext {
  store: Pick<ExecutionStore, 'getWorkflow' | 'listWorkflows'>;
  webhooks: Pick<WebhookRoutes, 'lookup' | 'claimDelivery' | 'forgetDelivery'>;
  schedules: Pick<Schedules, 'remove'>;
  starter: Pick<ExecutionStarter, 'prepare' | 'start' | 'startAll'>;
  /** Resolves `{ "$secret": "name" }` webhook secrets (the engine's `secrets`). */
  secrets: Pick<SecretVault, 'reveal'> | undefined;
  logger: EngineLogger;
}

/** A workflow a webhook request starts, with its trigger's secret (if it has one). */
type WebhookMatch = WebhookTarget & { secret?: string | SecretRef };

/**
 * Starts the workflows that triggers name: a webhook request (routes, signatures,
 * delivery ids), an application event, a schedule's firing.
 */
export class TriggerDispatch {
  readonly #ctx: TriggerDispatchContext;

  constructor(ctx: TriggerDispatchContext) {
    this.#ctx = ctx;
  }

  /**
   * Starts every workflow of the tenant with a webhook trigger on `path` and `method`;
   * returns the new execution ids (see `WorkflowEngine.triggerWebhook`).
   * @throws WebhookNotFoundError | InvalidSignatureError | DuplicateDeliveryError | InvalidArgumentError
   */
  async webhook(
    path: string,
    method: string,
    body: unknown,
    headers: Record<string, string | string[] | undefined>,
    scope: TenantScope = {},
  ): Promise<string[]> {
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    const { path: clean, query } = splitWebhookPath(path);
    const verb = (method || 'POST').toUpperCase();
    const matches = await this.#matches(tenantId, verb, clean);
    if (matches.length === 0) throw new WebhookNotFoundError(clean, verb);
    const h = normaliseHeaders(headers);
    const first = (name: string) => {
      const v = h[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const deliveryId = first(DELIVERY_HEADER);
    for (const m of matches) {
      if (m.secret !== undefined) {
        const secret = await this.#secretOf(m, m.secret, `${verb} /${clean}`);
        verifyWebhookSignature(secret, body, first(SIGNATURE_HEADER), deliveryId);
      }
    }
    if (deliveryId !== undefined) checkDeliveryId(deliveryId);
    const { webhooks, starter } = this.#ctx;
    const route = webhookRoute(tenantId, verb, clean);
    if (deliveryId !== undefined && !(await webhooks.claimDelivery(route, deliveryId))) {
      throw new DuplicateDeliveryError(deliveryId);
    }
    const initialData: Record<string, unknown> = { body: parseWebhookBody(body, h), headers: h };
    if (query !== undefined) initialData.query = query;
    const trigger: Record<string, unknown> = { type: 'webhook', method: verb, path: clean };
    if (deliveryId !== undefined) trigger.deliveryId = deliveryId;
    // The request's W3C trace context: the executions' spans are its children.
    const traceContext = traceContextOf(h);
    try {
      const prepared = await Promise.all(
        matches.map((m) =>
          starter.prepare(
            m.workflowId,
            initialData,
            deliveryId === undefined
              ? { tenantId, traceContext }
              : {
                  tenantId,
                  traceContext,
                  // A sender retrying a delivery that failed half-way gets the same runs.
                  idempotencyKey: webhookIdempotencyKey(m.workflowId, route, deliveryId),
                },
            { trigger },
          ),
        ),
      );
      // All or nothing (see ExecutionStarter.startAll).
      return await starter.startAll(prepared);
    } catch (err) {
      // Forgetting the delivery needs Redis too; its failure must not hide why the start failed.
      if (deliveryId !== undefined)
        await webhooks.forgetDelivery(route, deliveryId).catch(() => {});
      throw err;
    }
  }

  /**
   * A trigger's secret: a literal, or the value of the tenant's secret it references (read
   * now, kept nowhere). @throws InvalidSignatureError when the tenant has no such secret
   * (logged: the delivery cannot be checked) | SecretsDisabledError without a vault
   */
  async #secretOf(m: WebhookTarget, secret: string | SecretRef, route: string): Promise<string> {
    if (typeof secret === 'string') return secret;
    const vault = this.#ctx.secrets;
    if (!vault) {
      throw new SecretsDisabledError(
        `the webhook's secret is a reference, and this engine has no secrets configured`,
      );
    }
    const value = await vault.reveal(m.tenantId, secret.$secret);
    if (value !== null) return value;
    this.#ctx.logger.warn(
      `webhook ${route} of workflow '${m.workflowId}': secret '${secret.$secret}' not found; deliveries are refused`,
      { tenantId: m.tenantId },
    );
    throw new InvalidSignatureError('the webhook has no secret to check the signature against');
  }

  /** The tenant's workflows whose current definition has a webhook trigger on the route. */
  async #matches(tenantId: string, verb: string, path: string): Promise<WebhookMatch[]> {
    const matches: WebhookMatch[] = [];
    const key = routeKey(verb, path);
    for (const target of await this.#ctx.webhooks.lookup(tenantId, verb, path)) {
      // The route index may lag a registration: the current definition has the last word.
      const stored = await this.#ctx.store.getWorkflow(target.workflowId, { tenantId });
      const trigger = stored && webhookTriggers(stored.definition).find((w) => w.key === key);
      if (!trigger) continue;
      matches.push(
        trigger.trigger.secret === undefined
          ? target
          : { ...target, secret: trigger.trigger.secret },
      );
    }
    return matches;
  }

  /**
   * Starts every workflow of the tenant with an event trigger for `name`; returns the new
   * execution ids. @throws InvalidArgumentError | PayloadTooLargeError
   */
  async event(name: string, payload: unknown, scope: TenantScope): Promise<string[]> {
    if (typeof name !== 'string' || name === '') {
      throw new InvalidArgumentError('event name must be a non-empty string');
    }
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    const listening = (await this.#ctx.store.listWorkflows({ tenantId })).filter((w) =>
      (w.definition.triggers ?? []).some((t) => t.type === 'event' && t.event === name),
    );
    const { starter } = this.#ctx;
    const prepared = await Promise.all(
      listening.map((w) =>
        starter.prepare(
          w.workflowId,
          payload,
          { tenantId },
          { trigger: { type: 'event', event: name } },
        ),
      ),
    );
    return prepared.length === 0 ? [] : starter.startAll(prepared);
  }

  /**
   * A schedule fired (once per slot, in one process): start the workflow's current
   * version. A firing past the tenant's `maxActiveExecutions` is skipped, with a warning.
   */
  async scheduleFired(job: Job<ScheduleJobData>): Promise<void> {
    const { workflowId, tenantId, schedulerId, initialData } = job.data;
    const slot = Schedules.slotOf(job);
    // The key names the scheduler by its current id, so a legacy scheduler (see
    // Schedules.removeLegacy) firing the same slot as its replacement starts nothing more.
    const current = schedulerIdOf(tenantId, workflowId, schedulerIndex(schedulerId));
    try {
      const prepared = await this.#ctx.starter.prepare(
        workflowId,
        initialData,
        // The slot's key: a firing job re-run after a crash starts nothing new.
        { tenantId, idempotencyKey: scheduleIdempotencyKey(current, slot) },
        { trigger: { type: 'schedule', schedulerId, at: new Date(slot).toISOString() } },
      );
      await this.#ctx.starter.start(prepared);
    } catch (err) {
      if (err instanceof QuotaExceededError) {
        this.#ctx.logger.warn('skipped a schedule firing: the tenant is at its quota', {
          tenantId,
          workflowId,
          schedulerId,
          at: new Date(slot).toISOString(),
          limit: err.limit,
        });
        return;
      }
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // The workflow is gone but its scheduler was left behind (a race): remove it.
      await this.#ctx.schedules.remove(schedulerId);
    }
  }
}

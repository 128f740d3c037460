import {
  compileWorkflow,
  DEFAULT_TENANT,
  type ExecutionStore,
  type JsonSchemaCheck,
  type NodeRegistry,
  type NodeTypeInfo,
  nodeTypeInfo,
  type SecretVault,
  type SpaneLimits,
  type StoredWorkflow,
  type TenantScope,
  type WorkflowDefinition,
  WorkflowNotFoundError,
  type WorkflowPlan,
  WorkflowValidationError,
} from '@spane/core';
import { BUILT_IN_NODE_TYPES, builtInConfigCheck, builtInNodeTypes } from './built-in-nodes.js';
import type { EngineLogger } from './engine-options.js';
import { MAP_NODE, mapItemPlan, mapItemTypeProblems, parseMapItemWorkflowId } from './map-node.js';
import type { PlanSource } from './plan-source.js';
import type { RegistrationLock } from './registration-lock.js';
import { type Schedules, validateSchedules } from './schedules.js';
import { signalNameIssues } from './signal-wait.js';
import { checkRegistrationQuotas, type TenantQuotas } from './tenant-quotas.js';
import type { WebhookRoutes } from './webhook-triggers.js';
import { WorkflowSecrets } from './workflow-secrets.js';

/** What {@link WorkflowCatalogue} needs. */
export interface WorkflowCatalogueContext {
  /** The node types a definition may use (besides the built-in ones). */
  registry: Pick<NodeRegistry, 'has' | 'getRegistration' | 'types'>;
  store: Pick<ExecutionStore, 'saveWorkflow' | 'getWorkflow' | 'listWorkflows' | 'deleteWorkflow'>;
  /** The engine's `limits` (merged over the defaults when a definition is compiled). */
  limits: Partial<SpaneLimits>;
  webhooks: Pick<WebhookRoutes, 'sync' | 'owners'>;
  schedules: Pick<Schedules, 'sync' | 'owners' | 'removeLegacy'>;
  /** The engine's `secrets` (references are refused without it). */
  secrets: Pick<SecretVault, 'reveal' | 'set'> | undefined;
  logger: EngineLogger;
  /** The tenants' `maxWorkflows` and `maxSchedules`. */
  quotas: Pick<TenantQuotas, 'of'>;
  /** One registration at a time per tenant while a quota is checked. */
  lock: Pick<RegistrationLock, 'hold'>;
}

/**
 * The workflows: registration (validation, the store, the webhook routes and cron
 * schedules that follow each definition), removal, and the compiled plans of their
 * versions (cached per process; a version never changes).
 */
export class WorkflowCatalogue implements PlanSource {
  readonly #ctx: WorkflowCatalogueContext;
  readonly #plans = new Map<string, WorkflowPlan>();
  readonly #secrets: WorkflowSecrets;

  constructor(ctx: WorkflowCatalogueContext) {
    this.#ctx = ctx;
    this.#secrets = new WorkflowSecrets({ vault: ctx.secrets, logger: ctx.logger });
  }

  /**
   * Validates a definition and saves it (a changed definition is a new version); sets the
   * workflow's webhook routes and schedules to its. Every node's type must be built in or
   * registered here, and its config must match the type's config schema. A new workflow
   * id past the tenant's `maxWorkflows`, or schedule triggers past its `maxSchedules`, are
   * refused. Secret references need the engine's `secrets`; with them, webhook triggers'
   * literal secrets are moved into the vault (the definition saved has references instead).
   * @throws WorkflowValidationError (`SECRETS_DISABLED` for a reference without `secrets`) |
   * QuotaExceededError
   */
  async register(definition: WorkflowDefinition, scope: TenantScope): Promise<StoredWorkflow> {
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    let plan = this.#compile(definition);
    const issues = [...validateSchedules(plan.definition), ...signalNameIssues(plan.definition)];
    if (issues.length > 0) throw new WorkflowValidationError(issues);
    const limits = this.#ctx.quotas.of(tenantId);
    const save = async () => {
      await checkRegistrationQuotas(this.#ctx.store, limits, tenantId, plan.definition);
      // Only a definition found valid (and within quota) moves its literal webhook secrets
      // into the vault.
      const moved = await this.#secrets.moveWebhookSecrets(plan.definition, tenantId);
      if (moved) plan = this.#compile(moved);
      return (await this.#ctx.store.saveWorkflow(plan, scope)).workflow;
    };
    const limited =
      limits.maxWorkflows !== Number.POSITIVE_INFINITY ||
      limits.maxSchedules !== Number.POSITIVE_INFINITY;
    const workflow = limited ? await this.#ctx.lock.hold(tenantId, save) : await save();
    this.#plans.set(planKey(workflow.tenantId, plan.workflowId, plan.version), plan);
    await this.#syncTriggers(workflow.tenantId, plan.workflowId, plan.definition);
    await this.#secrets.warnMissing(plan.definition, workflow.tenantId);
    return workflow;
  }

  /** Validates a definition for registration here and compiles it. @throws WorkflowValidationError */
  #compile(definition: WorkflowDefinition): WorkflowPlan {
    return compileWorkflow(definition, {
      limits: this.#ctx.limits,
      isNodeTypeKnown: (type) => this.#known(type),
      nodeConfigCheck: (type) => this.#configCheck(type),
      secretsAvailable: this.#secrets.available,
    });
  }

  /** The config check of a node type: a built-in's, or the registered one's (if it declares a schema). */
  #configCheck(type: string): JsonSchemaCheck | undefined {
    const { registry } = this.#ctx;
    if (type === MAP_NODE) return this.#mapCheck();
    if (BUILT_IN_NODE_TYPES.has(type)) return builtInConfigCheck(type);
    return registry.has(type) ? registry.getRegistration(type).checks.config : undefined;
  }

  /** Whether definitions may use a node type: built in, or registered here. */
  #known(type: string): boolean {
    return BUILT_IN_NODE_TYPES.has(type) || this.#ctx.registry.has(type);
  }

  /** The `map` config check, with its item type's checks (known here, `nodeConfig` valid). */
  #mapCheck(): JsonSchemaCheck {
    const check = builtInConfigCheck(MAP_NODE)!;
    return {
      schema: check.schema,
      problems: (value) => {
        const problems = check.problems(value);
        if (problems.length > 0) return problems;
        const config = value as Record<string, unknown>;
        return mapItemTypeProblems(
          config,
          (type) => this.#known(type),
          (type) => this.#configCheck(type),
        );
      },
    };
  }

  /** The node types definitions may use: the built-ins, then the registered ones. */
  nodeTypes(): NodeTypeInfo[] {
    const { registry } = this.#ctx;
    const registered = registry
      .types()
      .filter((type) => !BUILT_IN_NODE_TYPES.has(type))
      .map((type) => nodeTypeInfo(type, registry.getRegistration(type).options, false));
    return [...builtInNodeTypes(), ...registered];
  }

  /** Removes a workflow from listings, its webhook routes and its schedules. */
  async unregister(workflowId: string, scope: TenantScope): Promise<boolean> {
    const deleted = await this.#ctx.store.deleteWorkflow(workflowId, scope);
    await this.#syncTriggers(scope.tenantId ?? DEFAULT_TENANT, workflowId, null);
    return deleted;
  }

  async getPlan(tenantId: string, workflowId: string, version: string): Promise<WorkflowPlan> {
    const key = planKey(tenantId, workflowId, version);
    const cached = this.#plans.get(key);
    if (cached) return cached;
    const mapItems = parseMapItemWorkflowId(workflowId);
    if (mapItems) {
      // The items of a map node of a node type: built from the parent's plan, never stored.
      const parent = await this.getPlan(tenantId, mapItems.workflowId, version);
      const plan = mapItemPlan(parent, mapItems.nodeId);
      this.#plans.set(key, plan);
      return plan;
    }
    const stored = await this.#ctx.store.getWorkflow(workflowId, { tenantId, version });
    if (!stored) throw new WorkflowNotFoundError(workflowId, version);
    const plan = compileWorkflow(stored.definition, { limits: this.#ctx.limits });
    this.#plans.set(key, plan);
    return plan;
  }

  cachedPlan(tenantId: string, workflowId: string, version: string): WorkflowPlan | undefined {
    return this.#plans.get(planKey(tenantId, workflowId, version));
  }

  /** Points a workflow's webhook routes and cron schedulers at `definition` (none when null). */
  async #syncTriggers(
    tenantId: string,
    workflowId: string,
    definition: WorkflowDefinition | null,
  ): Promise<void> {
    await this.#ctx.webhooks.sync(tenantId, workflowId, definition);
    await this.#ctx.schedules.sync(tenantId, workflowId, definition);
  }

  /**
   * Rebuilds webhook routes and schedulers from the store's current workflows of every
   * tenant (the store is the source of truth; Redis holds a copy the engine can look up
   * per request): repairs them after Redis lost them, or after a registration raced
   * another one; drops routes and schedulers written in an older format. Runs when workers
   * start.
   */
  async resyncTriggers(): Promise<void> {
    const owners = [
      ...(await this.#ctx.webhooks.owners()),
      ...(await this.#ctx.schedules.owners()),
    ];
    const current = await this.#ctx.store.listWorkflows({ allTenants: true });
    const live = new Set(current.map((w) => workflowKey(w.tenantId, w.workflowId)));
    for (const w of current) {
      if (await this.#moveStoredWebhookSecrets(w)) continue; // registered again: synced
      await this.#syncTriggers(w.tenantId, w.workflowId, w.definition);
    }
    for (const o of owners) {
      if (!live.has(workflowKey(o.tenantId, o.workflowId))) {
        await this.#syncTriggers(o.tenantId, o.workflowId, null);
      }
    }
    // Schedulers named before ids were escaped: their replacements exist by now.
    await this.#ctx.schedules.removeLegacy();
  }

  /**
   * A current definition saved with a literal webhook secret (before the engine had
   * `secrets`, or by an older version) is registered again, which moves the secret into
   * the vault and saves a new version holding a reference. True when that was done; a
   * definition that no longer registers (stricter checks since) stays as it is, warned.
   */
  async #moveStoredWebhookSecrets(stored: StoredWorkflow): Promise<boolean> {
    if (!this.#secrets.canMove(stored.definition)) return false;
    try {
      await this.register(stored.definition, { tenantId: stored.tenantId });
      this.#ctx.logger.info(
        `workflow '${stored.workflowId}': its webhook secret moved into the vault (new version)`,
        { tenantId: stored.tenantId },
      );
      return true;
    } catch (err) {
      this.#ctx.logger.warn(
        `workflow '${stored.workflowId}': its webhook secret stays in clear, registering it again failed: ${(err as Error).message}`,
        { tenantId: stored.tenantId },
      );
      return false;
    }
  }
}

function workflowKey(tenantId: string, workflowId: string): string {
  return `${tenantId}\u0000${workflowId}`;
}

function planKey(tenantId: string, workflowId: string, version: string): string {
  return `${tenantId}\u0000${workflowId}\u0000${version}`;
}

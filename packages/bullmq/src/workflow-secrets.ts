import { createHash } from 'node:crypto';
import {
  definitionSecretRefs,
  MAX_SECRET_NAME_LENGTH,
  type SecretVault,
  type WorkflowDefinition,
} from '@spane/core';
import type { EngineLogger } from './engine-options.js';

/** What {@link WorkflowSecrets} needs. */
export interface WorkflowSecretsContext {
  /** The engine's `secrets`; undefined when it has none. */
  vault: Pick<SecretVault, 'reveal' | 'set'> | undefined;
  logger: EngineLogger;
}

/**
 * The vault name a webhook trigger's literal secret is moved to: `webhook.<workflowId>.<n>`
 * with `n` the trigger's index in `triggers`. A workflow id's characters are all allowed in
 * secret names and `n` is the last dot-separated segment, so two (workflow, index) pairs
 * never share a name. When that would be longer than a secret name may be, the id is
 * replaced by the first 32 hex digits of its SHA-256: `webhook-sha256.<hex>.<n>` (another
 * prefix, so it never meets a readable name).
 */
export function webhookSecretName(workflowId: string, index: number): string {
  const readable = `webhook.${workflowId}.${index}`;
  if (readable.length <= MAX_SECRET_NAME_LENGTH) return readable;
  const hash = createHash('sha256').update(workflowId, 'utf8').digest('hex').slice(0, 32);
  return `webhook-sha256.${hash}.${index}`;
}

function hasLiteralWebhookSecret(definition: WorkflowDefinition): boolean {
  return (definition.triggers ?? []).some(
    (t) => t.type === 'webhook' && typeof t.secret === 'string',
  );
}

/** Registration's part in secrets: literal webhook secrets into the vault, and warnings. */
export class WorkflowSecrets {
  readonly #ctx: WorkflowSecretsContext;

  constructor(ctx: WorkflowSecretsContext) {
    this.#ctx = ctx;
  }

  /** True when the engine has a vault (so references may be registered). */
  get available(): boolean {
    return this.#ctx.vault !== undefined;
  }

  /** True when the engine has a vault and a webhook trigger of the definition has a literal secret. */
  canMove(definition: WorkflowDefinition): boolean {
    return this.available && hasLiteralWebhookSecret(definition);
  }

  /**
   * The definition with each webhook trigger's literal `secret` moved into the tenant's
   * vault (see {@link webhookSecretName}; written only when the stored value differs) and
   * replaced by a reference — the same literal registered again gives the same definition,
   * so the same version. Undefined when there is nothing to move; without a vault a literal
   * stays (stored in clear) and one warning is logged.
   * @throws what the vault's store throws, or InvalidArgumentError for a literal over 64 KiB
   */
  async moveWebhookSecrets(
    definition: WorkflowDefinition,
    tenantId: string,
  ): Promise<WorkflowDefinition | undefined> {
    if (!hasLiteralWebhookSecret(definition)) return undefined;
    const { vault, logger } = this.#ctx;
    if (!vault) {
      logger.warn(
        `workflow '${definition.id}': a webhook trigger's secret is stored in clear; give the engine \`secrets\` to keep it encrypted, or reference a secret`,
        { tenantId },
      );
      return undefined;
    }
    const moved = structuredClone(definition);
    const triggers = moved.triggers ?? [];
    for (const [index, trigger] of triggers.entries()) {
      if (trigger.type !== 'webhook' || typeof trigger.secret !== 'string') continue;
      const name = webhookSecretName(definition.id, index);
      if ((await vault.reveal(tenantId, name)) !== trigger.secret) {
        await vault.set(tenantId, name, trigger.secret);
      }
      trigger.secret = { $secret: name };
    }
    return moved;
  }

  /**
   * Logs a warning for each secret a registered definition references that the tenant
   * does not have (yet): not an error, since secrets may be set after the workflow. A
   * vault that cannot answer skips the warnings.
   */
  async warnMissing(definition: WorkflowDefinition, tenantId: string): Promise<void> {
    const vault = this.#ctx.vault;
    if (!vault) return;
    const names = [...new Set(definitionSecretRefs(definition).map((r) => r.name))];
    for (const name of names) {
      const value = await vault.reveal(tenantId, name).catch(() => undefined);
      if (value !== null) continue;
      this.#ctx.logger.warn(
        `workflow '${definition.id}' references secret '${name}', which tenant '${tenantId}' does not have yet; what uses it fails until it is set`,
        { tenantId, workflowId: definition.id, secret: name },
      );
    }
  }
}

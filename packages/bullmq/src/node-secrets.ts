import {
  type FoundSecretRef,
  findSecretRefs,
  NonRetryableError,
  replaceSecretRefs,
  SECRET_MASK,
  type SecretVault,
} from '@spane/core';
import type { InfraRetry, RetryWhile } from './infra-retry.js';

/**
 * Replaces every resolved secret value of one attempt by `[secret]` in text the engine
 * records (log lines, error messages, stack traces), longest value first, as CI systems
 * mask secrets. A value split, encoded (URL, base64) or transformed is not found.
 */
export class SecretMask {
  /** A mask that changes nothing (an attempt without secrets). */
  static readonly none = new SecretMask([]);
  readonly #values: readonly string[];

  constructor(values: readonly string[]) {
    this.#values = [...new Set(values)].filter((v) => v !== '').sort((a, b) => b.length - a.length);
  }

  /** True when there is anything to mask. */
  get active(): boolean {
    return this.#values.length > 0;
  }

  /** `text` with every value replaced. */
  text(text: string): string {
    let out = text;
    for (const value of this.#values)
      if (out.includes(value)) out = out.split(value).join(SECRET_MASK);
    return out;
  }

  /**
   * A copy of a log line's `meta` with every string (keys too) masked; nesting deeper
   * than 64 levels, or anything that cannot be walked, becomes `[secret]` as a whole.
   */
  deep(value: unknown, depth = 0): unknown {
    if (!this.active) return value;
    if (typeof value === 'string') return this.text(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth > 64) return SECRET_MASK;
    try {
      if (Array.isArray(value)) return value.map((v) => this.deep(v, depth + 1));
      if (value instanceof Error) return this.text(String(value.stack ?? value.message));
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.text(k)] = this.deep(v, depth + 1);
      return out;
    } catch {
      return SECRET_MASK;
    }
  }
}

/** A node's config with its secret references resolved, and the mask of their values. */
export type ResolvedConfig =
  | { ok: true; config: Record<string, unknown>; mask: SecretMask }
  | { ok: false; error: NonRetryableError };

/** Per node config object: the references it holds (plans are immutable and cached). */
const refsOf = new WeakMap<object, FoundSecretRef[]>();

function configRefs(config: Record<string, unknown>): FoundSecretRef[] {
  let refs = refsOf.get(config);
  if (!refs) {
    refs = findSecretRefs(config).refs;
    refsOf.set(config, refs);
  }
  return refs;
}

/**
 * Resolves the secret references of a node's config for one attempt, in the execution's
 * tenant, through the engine's `secrets` vault. Values are read once per name per attempt
 * and kept nowhere else. The config given is not changed.
 */
export class NodeSecrets {
  readonly #vault: SecretVault | undefined;
  readonly #infra: Pick<InfraRetry, 'run'>;

  constructor(vault: SecretVault | undefined, infra: Pick<InfraRetry, 'run'>) {
    this.#vault = vault;
    this.#infra = infra;
  }

  /** True when the config holds secret references (to resolve before each attempt). */
  has(config: Record<string, unknown>): boolean {
    return configRefs(config).length > 0;
  }

  /**
   * The config with values in place of references. A secret the tenant does not have, or
   * an engine without `secrets`, fails the node for good (`NonRetryableError`, naming
   * the secret, never a value).
   * @throws InfrastructureError when the vault's store kept failing (retried as any
   * store call of a run)
   */
  async resolve(
    tenantId: string,
    config: Record<string, unknown>,
    until: RetryWhile,
  ): Promise<ResolvedConfig> {
    const refs = configRefs(config);
    if (refs.length === 0) return { ok: true, config, mask: SecretMask.none };
    const vault = this.#vault;
    if (!vault) {
      const error = new NonRetryableError(
        `secret '${refs[0]!.name}' cannot be resolved: this engine has no secrets configured`,
      );
      return { ok: false, error };
    }
    const values = new Map<string, string>();
    for (const name of new Set(refs.map((r) => r.name))) {
      const value = await this.#infra.run(
        `secret '${name}'`,
        () => vault.reveal(tenantId, name),
        until,
      );
      if (value === null) {
        return { ok: false, error: new NonRetryableError(`secret '${name}' not found`) };
      }
      values.set(name, value);
    }
    const resolved = replaceSecretRefs(config, refs, (name) => values.get(name));
    return {
      ok: true,
      config: resolved as Record<string, unknown>,
      mask: new SecretMask([...values.values()]),
    };
  }
}

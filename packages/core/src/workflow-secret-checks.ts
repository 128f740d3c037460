import { isObject } from './raw-definition.js';
import { findSecretRefs, replaceSecretRefs, SECRET_MASK } from './secret-refs.js';
import type { IssueList } from './validation-issue-list.js';

/** Where a definition holds secret references: node configs and webhook trigger secrets. */
export interface DefinitionSecretRef {
  /** JSON pointer of the reference in the definition, e.g. `/nodes/0/config/headers/x`. */
  path: string;
  /** The secret's name. */
  name: string;
}

/**
 * Every well-formed secret reference of a definition: in each node's `config` (any depth)
 * and as a webhook trigger's `secret`. Values elsewhere (metadata, a schedule's
 * `initialData`) are data, not references.
 */
export function definitionSecretRefs(def: unknown): DefinitionSecretRef[] {
  return scanDefinition(def).refs;
}

function scanDefinition(def: unknown) {
  const refs: DefinitionSecretRef[] = [];
  const malformed: { path: string; message: string }[] = [];
  if (!isObject(def)) return { refs, malformed };
  const add = (value: unknown, at: string, wholeAllowed: boolean) => {
    const scan = findSecretRefs(value);
    for (const r of scan.refs) {
      if (r.path === '' && !wholeAllowed) {
        malformed.push({ path: at, message: "a node's whole config cannot be a secret reference" });
      } else {
        refs.push({ path: `${at}${r.path}`, name: r.name });
      }
    }
    for (const m of scan.malformed) malformed.push({ path: `${at}${m.path}`, message: m.message });
  };
  const nodes = Array.isArray(def.nodes) ? def.nodes : [];
  nodes.forEach((node: unknown, i) => {
    if (isObject(node) && isObject(node.config)) add(node.config, `/nodes/${i}/config`, false);
  });
  const triggers = Array.isArray(def.triggers) ? def.triggers : [];
  triggers.forEach((t: unknown, i) => {
    if (isObject(t) && t.type === 'webhook' && isObject(t.secret)) {
      add(t.secret, `/triggers/${i}/secret`, true);
    }
  });
  return { refs, malformed };
}

/**
 * Reports malformed secret references (`INVALID_SECRET_REF`, at the reference) and, when
 * secrets are not available, every reference (`SECRETS_DISABLED`). Returns the paths of
 * the malformed references, whose schema errors are left out as repeats.
 */
export function checkSecretRefs(
  def: unknown,
  secretsAvailable: boolean,
  issues: IssueList,
): string[] {
  const { refs, malformed } = scanDefinition(def);
  for (const m of malformed) issues.error(m.path, 'INVALID_SECRET_REF', m.message);
  if (!secretsAvailable) {
    for (const r of refs) {
      issues.error(
        r.path,
        'SECRETS_DISABLED',
        `secret '${r.name}' is referenced, but secrets are not configured (the engine has no secret vault)`,
      );
    }
  }
  return malformed.map((m) => m.path);
}

/**
 * `def` with each of the `paths` (malformed references) replaced by the string
 * `"[secret]"`, for the definition's schema check: their errors are reported once, as
 * `INVALID_SECRET_REF`, not again by the schema (which would name the enclosing union).
 */
export function withoutMalformedRefs(
  def: Record<string, unknown>,
  paths: readonly string[],
): Record<string, unknown> {
  // A whole config stays: any object passes the definition's schema there.
  const refs = paths.filter((p) => !WHOLE_CONFIG.test(p)).map((path) => ({ path, name: '' }));
  return replaceSecretRefs(def, refs, () => SECRET_MASK) as Record<string, unknown>;
}

const WHOLE_CONFIG = /^\/nodes\/\d+\/config$/;

/** True when `path` is one of `prefixes` or lies under one. */
export function isAtOrUnder(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`));
}

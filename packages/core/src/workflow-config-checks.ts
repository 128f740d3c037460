import type { JsonSchemaCheck } from './json-schema-check.js';
import { isObject } from './raw-definition.js';
import {
  describesSecretRefs,
  findSecretRefs,
  replaceSecretRefs,
  SECRET_MASK,
} from './secret-refs.js';
import type { IssueList } from './validation-issue-list.js';
import { isAtOrUnder } from './workflow-secret-checks.js';

/** Per compiled check: does its schema describe secret references itself? */
const refAware = new WeakMap<JsonSchemaCheck, boolean>();

function describesRefs(check: JsonSchemaCheck): boolean {
  let aware = refAware.get(check);
  if (aware === undefined) {
    aware = describesSecretRefs(check.schema);
    refAware.set(check, aware);
  }
  return aware;
}

/**
 * Reports, as `INVALID_NODE_CONFIG` under `/nodes/<i>/config…`, every way a node's `config`
 * fails the config schema of its type (`checkOf` gives it; types without one accept any
 * config). An absent config is checked as `{}`; a config that is not an object is left to
 * the definition's schema check. Secret references (`{ "$secret": "name" }`): a schema
 * that describes them (see `Secretable`) is checked with them in place; any other schema
 * with each one replaced by the string `"[secret]"`, so a reference stands where a string
 * is accepted. Malformed references are reported elsewhere (`INVALID_SECRET_REF`) and
 * their schema errors left out.
 */
export function checkNodeConfigs(
  rawNodes: readonly unknown[],
  checkOf: (type: string) => JsonSchemaCheck | undefined,
  issues: IssueList,
): void {
  rawNodes.forEach((raw, index) => {
    if (!isObject(raw) || typeof raw.type !== 'string') return;
    const config = raw.config ?? {};
    if (!isObject(config)) return;
    const check = checkOf(raw.type);
    if (!check) return;
    const { refs, malformed } = findSecretRefs(config);
    // A whole config that is a reference is reported as INVALID_SECRET_REF.
    if (refs.some((r) => r.path === '')) return;
    const bad = malformed.map((m) => m.path);
    const checked = describesRefs(check)
      ? config
      : replaceSecretRefs(
          config,
          [...refs, ...malformed.map((m) => ({ path: m.path, name: '' }))],
          () => SECRET_MASK,
        );
    for (const problem of check.problems(checked)) {
      if (isAtOrUnder(problem.path, bad)) continue;
      issues.error(`/nodes/${index}/config${problem.path}`, 'INVALID_NODE_CONFIG', problem.message);
    }
  });
}

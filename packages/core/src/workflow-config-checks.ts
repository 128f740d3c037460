import type { JsonSchemaCheck } from './json-schema-check.js';
import { isObject } from './raw-definition.js';
import type { IssueList } from './validation-issue-list.js';

/**
 * Reports, as `INVALID_NODE_CONFIG` under `/nodes/<i>/config…`, every way a node's `config`
 * fails the config schema of its type (`checkOf` gives it; types without one accept any
 * config). An absent config is checked as `{}`; a config that is not an object is left to
 * the definition's schema check.
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
    for (const problem of check.problems(config)) {
      issues.error(`/nodes/${index}/config${problem.path}`, 'INVALID_NODE_CONFIG', problem.message);
    }
  });
}

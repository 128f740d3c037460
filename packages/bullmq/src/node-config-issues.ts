import type { ValidationIssue } from '@spane/core';

/** Collects the problems of a built-in node's `config`, each under `<nodePath>/config…`. */
export interface ConfigIssues {
  issues: ValidationIssue[];
  /** Records a problem at `at` (a JSON-pointer suffix: '' or '/key'). */
  error(at: string, message: string): void;
  /** The config as an object, or undefined (and an issue recorded) when it is not one. */
  config: Record<string, unknown> | undefined;
}

/**
 * Starts checking a built-in node's config: it must be an object whose keys are all in
 * `allowed`. `shape` describes the expected config for the message when it is not one.
 */
export function checkConfigObject(
  config: unknown,
  nodePath: string,
  kind: string,
  allowed: readonly string[],
  shape: string,
): ConfigIssues {
  const issues: ValidationIssue[] = [];
  const error = (at: string, message: string): void => {
    issues.push({
      path: `${nodePath}/config${at}`,
      code: 'INVALID_NODE_CONFIG',
      message,
      severity: 'error',
    });
  };
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    error('', `a ${kind} node needs config ${shape}`);
    return { issues, error, config: undefined };
  }
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!allowed.includes(key)) error(`/${key}`, `unknown ${kind} option '${key}'`);
  }
  return { issues, error, config: c };
}

import type { ValidationIssue } from './errors.js';

/** The issues a validation has found so far, in the order the checks found them. */
export class IssueList {
  /** Every issue, errors and warnings. */
  readonly issues: ValidationIssue[] = [];

  /** Adds an issue that makes the definition invalid. */
  error(path: string, code: string, message: string): void {
    this.issues.push({ path, code, message, severity: 'error' });
  }

  /** Adds an issue that does not make the definition invalid. */
  warning(path: string, code: string, message: string): void {
    this.issues.push({ path, code, message, severity: 'warning' });
  }

  /** False when any issue is an error. */
  get valid(): boolean {
    return !this.issues.some((i) => i.severity === 'error');
  }
}

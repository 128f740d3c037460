import {
  DepthLimitExceededError,
  type ExecutionResult,
  formatSchemaProblems,
  type JsonSchemaCheck,
  NonRetryableError,
  PayloadNotStorableError,
  PayloadTooLargeError,
  WorkflowNotFoundError,
} from '@spane/core';
import { payloadText } from '@spane/core/internal';
import type { AbortKind } from './running-nodes.js';

/** How an attempt's executor ended. */
export type Settled =
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; error: unknown }
  | { kind: 'aborted'; abort: AbortKind };

/** An executor's result, checked: the output to record, or the error that fails the attempt. */
export type Checked =
  | { ok: true; result: ExecutionResult; dataText: string | undefined }
  | { ok: false; error: unknown; result: ExecutionResult | undefined };

/** The node whose attempt is checked, and what its output must fit. */
export interface ResultRules {
  nodeId: string;
  nodeType: string;
  /** The largest output (JSON bytes). */
  maxPayloadBytes: number;
  /** The output schema of the node's type, if it declares one. */
  output: JsonSchemaCheck | undefined;
}

/**
 * Checks what an executor returned: a `{ success }` result whose output fits the limit
 * (checked first, and stopped as soon as it is passed) and matches the type's output
 * schema (a mismatch fails the node for good).
 */
export function checkSettled(
  settled: Exclude<Settled, { kind: 'aborted' }>,
  rules: ResultRules,
): Checked {
  if (settled.kind === 'error') return { ok: false, error: settled.error, result: undefined };
  const result = checkResult(settled.result);
  if (!result) {
    const error = new NonRetryableError('executor returned no { success: boolean } result');
    return { ok: false, error, result };
  }
  if (!result.success) {
    return { ok: false, error: new Error(result.error ?? 'node returned success: false'), result };
  }
  // The size first: its check stops at the limit, while a schema check walks everything.
  let dataText: string | undefined;
  try {
    const what = `output of node '${rules.nodeId}'`;
    dataText = payloadText(what, result.data, rules.maxPayloadBytes);
  } catch (error) {
    return { ok: false, error, result };
  }
  const mismatch = schemaMismatch('output', rules.output, result.data, rules);
  if (mismatch) return { ok: false, error: mismatch, result };
  return { ok: true, result, dataText };
}

/**
 * The error that fails a node whose input (before its executor runs) or output (after a
 * successful run) does not match its type's schema; undefined when it matches or the type
 * declares no schema. Not retryable: another attempt would get or give the same data.
 */
export function schemaMismatch(
  part: 'input' | 'output',
  check: JsonSchemaCheck | undefined,
  value: unknown,
  node: { nodeId: string; nodeType: string },
): NonRetryableError | undefined {
  const problems = check?.problems(value) ?? [];
  if (problems.length === 0) return undefined;
  return new NonRetryableError(
    `${part} of node '${node.nodeId}' does not match the ${part} schema of node type '${node.nodeType}': ${formatSchemaProblems(problems)}`,
  );
}

function checkResult(value: unknown): ExecutionResult | undefined {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as ExecutionResult).success !== 'boolean'
  ) {
    return undefined;
  }
  const result = value as ExecutionResult;
  if (
    result.nextNodes !== undefined &&
    !(Array.isArray(result.nextNodes) && result.nextNodes.every((n) => typeof n === 'string'))
  ) {
    return undefined;
  }
  return result;
}

/** Errors that fail a node at once, without further attempts. */
export function isFinalError(error: unknown): boolean {
  return (
    error instanceof NonRetryableError ||
    error instanceof PayloadTooLargeError ||
    error instanceof PayloadNotStorableError ||
    error instanceof DepthLimitExceededError ||
    error instanceof WorkflowNotFoundError
  );
}

/**
 * An executor's error as text that every store can keep: U+0000 (which PostgreSQL text
 * cannot hold) and a lone UTF-16 surrogate (which it would turn into U+FFFD, while the
 * memory store kept it) become U+FFFD, so that recording the failure cannot itself fail for
 * good and every store records the same text.
 */
export function errorMessage(error: unknown): string {
  let text: string;
  if (error instanceof Error) text = String(error.message);
  else if (typeof error === 'string') text = error;
  else {
    try {
      text = JSON.stringify(error) ?? String(error);
    } catch {
      text = Object.prototype.toString.call(error);
    }
  }
  return storableText(text);
}

/** `text` with U+0000 and lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  // String.prototype.toWellFormed (ES2024, Node.js 20) replaces lone surrogates.
  return (
    text.replaceAll('\u0000', '\uFFFD') as unknown as { toWellFormed(): string }
  ).toWellFormed();
}

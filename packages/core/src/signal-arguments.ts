import { InvalidArgumentError, PayloadNotStorableError } from './errors.js';
import type { NewExecutionSignal } from './execution-signals.js';
import { MAX_JSON_DEPTH } from './limits.js';
import { storableJsonText } from './storable-json.js';

/** A {@link NewExecutionSignal} checked for a store, its payload as JSON text. */
export interface CheckedSignal {
  /** The signal's name (a non-empty string without U+0000). */
  name: string;
  /** `signal` or `timeout`. */
  kind: 'signal' | 'timeout';
  /** The payload as JSON text (`'null'` for a payload that is `null` or absent). */
  payloadText: string;
}

/**
 * The argument of `ExecutionStore.recordSignal` as a store keeps it, checked the same way
 * by every store.
 * @throws InvalidArgumentError when `signal` is not an object, `name` is not a non-empty string PostgreSQL can store,
 * or `kind` is neither `signal` nor `timeout`; PayloadNotStorableError when the payload
 * cannot be stored as JSON unchanged (see `storableJsonText`).
 */
export function checkNewSignal(signal: NewExecutionSignal): CheckedSignal {
  if (signal === null || typeof signal !== 'object') {
    throw new InvalidArgumentError('signal must be an object { name, kind, payload }');
  }
  const { name, kind } = signal;
  if (typeof name !== 'string' || name.length === 0 || name.includes('\u0000')) {
    throw new InvalidArgumentError(
      'signal name must be a non-empty string without the character U+0000',
    );
  }
  if (kind !== 'signal' && kind !== 'timeout') {
    throw new InvalidArgumentError(
      `signal kind must be 'signal' or 'timeout'; got ${String(kind)}`,
    );
  }
  const checked = storableJsonText(signal.payload ?? null, MAX_JSON_DEPTH);
  if ('unstorable' in checked) {
    const { reason, path } = checked.unstorable;
    throw new PayloadNotStorableError(`payload of signal '${name}'`, reason, path);
  }
  return { name, kind, payloadText: checked.text ?? 'null' };
}

import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  MAX_JSON_DEPTH,
  type NewExecutionSignal,
  PayloadNotStorableError,
} from '../src/index.js';
import { checkNewSignal } from '../src/internal.js';

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('checkNewSignal', () => {
  it('gives the name, the kind and the payload as JSON text', () => {
    expect(checkNewSignal({ name: 'go', kind: 'signal', payload: { a: [0, false, ''] } })).toEqual({
      name: 'go',
      kind: 'signal',
      payloadText: '{"a":[0,false,""]}',
    });
    expect(checkNewSignal({ name: 'go', kind: 'timeout', payload: null }).payloadText).toBe('null');
    expect(checkNewSignal({ name: 'go', kind: 'signal', payload: undefined }).payloadText).toBe(
      'null',
    );
    expect(checkNewSignal({ name: 'go', kind: 'signal', payload: 0 }).payloadText).toBe('0');
  });

  it('refuses a bad signal, name or kind with InvalidArgumentError', () => {
    const bad = [
      null,
      'go',
      { name: '', kind: 'signal', payload: 1 },
      { name: 7, kind: 'signal', payload: 1 },
      { name: 'a\u0000b', kind: 'signal', payload: 1 },
      { name: 'go', kind: 'other', payload: 1 },
      { name: 'go', payload: 1 },
    ];
    for (const signal of bad) {
      expect(() => checkNewSignal(signal as unknown as NewExecutionSignal)).toThrow(
        InvalidArgumentError,
      );
    }
  });

  it('refuses a payload that cannot be stored as JSON with PayloadNotStorableError', () => {
    const payloads: [unknown, string][] = [
      [{ n: 1n }, '/n'],
      [{ s: 'a\u0000' }, '/s'],
      [['\ud800'], '/0'],
      [{ f: () => 1 }, '/f'],
      [nested(MAX_JSON_DEPTH + 1), ''],
    ];
    for (const [payload, path] of payloads) {
      let error: unknown;
      try {
        checkNewSignal({ name: 'go', kind: 'signal', payload });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PayloadNotStorableError);
      if (path !== '') expect((error as PayloadNotStorableError).path).toBe(path);
    }
  });
});

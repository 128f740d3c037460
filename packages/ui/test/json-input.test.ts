import { describe, expect, it } from 'vitest';
import { parseJsonInput } from '../src/app/model/json-input.js';

describe('parseJsonInput', () => {
  it('reads empty or blank text as {}', () => {
    expect(parseJsonInput('')).toEqual({ ok: true, value: {} });
    expect(parseJsonInput('  \n\t ')).toEqual({ ok: true, value: {} });
  });

  it('reads any JSON value, around whitespace', () => {
    expect(parseJsonInput(' {"a": [1, 2, {"b": null}]} \n')).toEqual({
      ok: true,
      value: { a: [1, 2, { b: null }] },
    });
    expect(parseJsonInput('[1]')).toEqual({ ok: true, value: [1] });
    expect(parseJsonInput('"text"')).toEqual({ ok: true, value: 'text' });
    expect(parseJsonInput('0')).toEqual({ ok: true, value: 0 });
    expect(parseJsonInput('null')).toEqual({ ok: true, value: null });
    expect(parseJsonInput('false')).toEqual({ ok: true, value: false });
  });

  it('says why text is not JSON', () => {
    for (const text of ['{', '{a: 1}', "{'a': 1}", '[1,]', 'undefined', '{} {}']) {
      const result = parseJsonInput(text);
      expect(result.ok, text).toBe(false);
      if (!result.ok) {
        expect(result.error).toMatch(/^Not valid JSON: \S/);
        expect(result.error.length).toBeGreaterThan('Not valid JSON: '.length + 5);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { traceContextOf } from '../src/index.js';

const ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('traceContextOf', () => {
  it('reads a W3C traceparent and its tracestate', () => {
    expect(traceContextOf({ traceparent: `00-${ID}-${PARENT}-01`, tracestate: 'a=1,b=2' })).toEqual(
      { traceparent: `00-${ID}-${PARENT}-01`, tracestate: 'a=1,b=2' },
    );
    // Upper case and surrounding blanks are normalised; the first of repeated headers counts.
    expect(traceContextOf({ traceparent: [` 00-${ID.toUpperCase()}-${PARENT}-00 `, 'x'] })).toEqual(
      {
        traceparent: `00-${ID}-${PARENT}-00`,
      },
    );
  });

  it('reads a later version as version 00 and drops its extra fields', () => {
    expect(traceContextOf({ traceparent: `01-${ID}-${PARENT}-01-extra` })).toEqual({
      traceparent: `00-${ID}-${PARENT}-01`,
    });
  });

  it('ignores what is not a valid traceparent', () => {
    for (const traceparent of [
      'garbage',
      `00-${ID}-${PARENT}`,
      `00-${ID}-${PARENT}-01-extra`,
      `ff-${ID}-${PARENT}-01`,
      `00-${'0'.repeat(32)}-${PARENT}-01`,
      `00-${ID}-${'0'.repeat(16)}-01`,
      `00-${ID.slice(1)}-${PARENT}-01`,
      `00-${ID}-${PARENT}-0g`,
    ]) {
      expect(traceContextOf({ traceparent }), traceparent).toBeUndefined();
    }
    expect(traceContextOf({})).toBeUndefined();
    expect(traceContextOf(undefined)).toBeUndefined();
    expect(traceContextOf({ tracestate: 'a=1' })).toBeUndefined();
  });

  it('drops a tracestate longer than 512 characters', () => {
    const tracestate = `a=${'x'.repeat(600)}`;
    expect(traceContextOf({ traceparent: `00-${ID}-${PARENT}-01`, tracestate })).toEqual({
      traceparent: `00-${ID}-${PARENT}-01`,
    });
  });
});

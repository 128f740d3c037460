import { describe, expect, it } from 'vitest';
import {
  isLegacySchedulerId,
  keyPart,
  parseKeyPart,
  schedulerId,
  schedulerIndex,
  webhookIdempotencyKey,
  webhookRoute,
} from '../src/redis-keys.js';

/** Pairs of (tenant, second part) that joined naively with `.`, `:`, `/` or `%` meet. */
const NEAR_MISSES: [string, string][] = [
  ['acme', 'prod.billing'],
  ['acme.prod', 'billing'],
  ['acme', 'prod:billing'],
  ['acme:prod', 'billing'],
  ['acme', 'prod/billing'],
  ['acme/prod', 'billing'],
  ['acme%2E', 'prod'],
  ['acme.', 'prod'],
  ['acme', '.prod'],
  ['acme', ''],
  ['', 'acme'],
  ['ac\u00e9', 'x'],
  ['ac%C3%A9', 'x'],
  ['ac%u00E9', 'x'],
  ['\ud800', 'x'],
  ['\ufffd', 'x'],
];

describe('key parts', () => {
  it('escape injectively: round-trip, no separators, no two inputs alike', () => {
    const seen = new Map<string, string>();
    for (const [a, b] of NEAR_MISSES) {
      for (const part of [a, b]) {
        const text = keyPart(part);
        expect(text).not.toMatch(/[.:/]/);
        expect(parseKeyPart(text)).toBe(part);
      }
      for (const key of [
        `route ${webhookRoute(a, 'POST', b)}`,
        `scheduler ${schedulerId(a, b, 0)}`,
        `idempotency ${webhookIdempotencyKey(a, webhookRoute(a, 'POST', b), b)}`,
      ]) {
        expect(seen.get(key), key).toBeUndefined();
        seen.set(key, `${a} | ${b}`);
      }
    }
    expect(keyPart('plain-id_1')).toBe('plain-id_1');
    expect(keyPart('a.b:c/d%')).toBe('a%2Eb%3Ac%2Fd%25');
    expect(parseKeyPart('a%2e')).toBeUndefined(); // lower-case hex is not what keyPart writes
    expect(parseKeyPart('a.b')).toBeUndefined();
    expect(parseKeyPart('%C3')).toBeUndefined(); // a non-ASCII code unit is %uXXXX
  });

  it('tell scheduler ids from before the escaping apart from current ones', () => {
    expect(schedulerId('acme', 'prod.billing', 2)).toBe('spane.schedule.acme.prod%2Ebilling.2');
    expect(schedulerId('acme.prod', 'billing', 0)).toBe('spane.schedule.acme%2Eprod.billing.0');
    expect(schedulerIndex(schedulerId('a.b', 'c.d', 12))).toBe(12);
    for (const current of [
      schedulerId('acme', 'prod.billing', 2),
      schedulerId('t/x', 'w', 0),
      schedulerId('\u00e9', 'w', 3),
      // Written the same way before and now (no dot, ASCII): not legacy.
      'spane.schedule.acme.billing.0',
      'spane.schedule.t%2Fx.w.0',
    ]) {
      expect(isLegacySchedulerId(current), current).toBe(false);
    }
    for (const legacy of [
      'spane.schedule.acme.prod.billing.0',
      'spane.schedule.%C3%A9.w.3',
      "spane.schedule.it's.w.0",
    ]) {
      expect(isLegacySchedulerId(legacy), legacy).toBe(true);
      expect(schedulerIndex(legacy)).toBe(Number(legacy.slice(-1)));
    }
    expect(isLegacySchedulerId('someone-elses-scheduler')).toBe(false);
  });
});

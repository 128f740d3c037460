import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/index.js';
import { parseTimeBound } from '../src/store.js';

describe('parseTimeBound', () => {
  it('reads ISO 8601 dates and date-times with an offset as UTC milliseconds', () => {
    const cases: [string, string][] = [
      ['2024-05-01', '2024-05-01T00:00:00.000Z'],
      ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T12:00Z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01t12:00:00z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01 12:00:00Z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T12:00:00.250+02:00', '2024-05-01T10:00:00.250Z'],
      ['2024-05-01T12:00:00.5-0130', '2024-05-01T13:30:00.500Z'],
      ['2024-05-01T12:00:00+01', '2024-05-01T11:00:00.000Z'],
      ['2024-05-01T12:00:00.009999Z', '2024-05-01T12:00:00.009Z'],
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
      ['2000-02-29', '2000-02-29T00:00:00.000Z'],
      ['0050-03-01T00:00:00Z', '0050-03-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ];
    for (const [input, expected] of cases) {
      expect(parseTimeBound(input, 'createdAfter'), input).toBe(expected);
    }
    expect(parseTimeBound(undefined, 'createdAfter')).toBeUndefined();
  });

  it('refuses other shapes, out-of-range fields and years no store holds with InvalidArgumentError naming the field', () => {
    const bad = [
      '',
      'yesterday',
      '1714564800000',
      '2024-5-1',
      '2024-05-01T12:00:00', // no offset: the server's local time
      '2024-05-01T12Z',
      '2024-13-01',
      '2024-00-10',
      '2023-02-29',
      '1900-02-29',
      '2024-04-31',
      '2024-05-01T24:00:00Z',
      '2024-05-01T12:60:00Z',
      '2024-06-30T23:59:60Z',
      '2024-05-01T12:00:00+24:00',
      '2024-05-01T12:00:00.Z',
      ' 2024-05-01',
      '+012024-05-01T00:00:00Z',
      '0000-06-01T00:00:00Z',
      '0001-01-01T00:30:00+01:00',
      '9999-12-31T23:00:00-02:00',
    ];
    for (const value of bad) {
      const call = () => parseTimeBound(value, 'createdBefore');
      expect(call, value).toThrow(InvalidArgumentError);
      expect(call, value).toThrow(/^createdBefore /);
    }
    for (const value of [42, null, new Date()]) {
      expect(() => parseTimeBound(value as unknown as string, 'createdAfter')).toThrow(
        InvalidArgumentError,
      );
    }
  });
});

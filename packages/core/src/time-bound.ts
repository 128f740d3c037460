import { InvalidArgumentError } from './errors.js';

/**
 * An ISO 8601 calendar date, optionally with a time that then carries its offset (`Z`,
 * `±hh:mm`, `±hhmm` or `±hh`), as RFC 3339 writes it: `2024-05-01`, `2024-05-01T12:00:00Z`,
 * `2024-05-01T12:00:00.250+02:00`. A time without an offset is refused: it would mean the
 * server's local time.
 */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?))?$/;

const DAYS_OF_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days of `month` (1–12) of `year` in the proleptic Gregorian calendar. */
function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_OF_MONTH[month - 1]!;
}

/** Whole milliseconds of a fraction of a second (`.25` → 250); finer digits are dropped. */
function millis(fraction: string | undefined): number {
  return Number((fraction ?? '.').slice(1, 4).padEnd(3, '0'));
}

/** Epoch milliseconds of a matched timestamp, or NaN when a field is out of range. */
function epochMs(match: RegExpExecArray): number {
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [
    1, 2, 3, 4, 5, 6, 9, 10,
  ].map((i) => Number(match[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  if (!valid) return Number.NaN;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis(match[7]));
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - (match[8] === '-' ? -offset : offset);
}

/** The value for an error message: a string quoted (and cut), anything else by its type. */
function shown(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return `'${value.length > 64 ? `${value.slice(0, 64)}…` : value}'`;
}

/**
 * Reads a time bound of a listing filter (e.g. `ExecutionFilter.createdAfter`): an ISO 8601
 * date (midnight UTC) or date-time with an offset. Returns it as ISO 8601 UTC text with
 * milliseconds (`toISOString`; finer digits are dropped, as stores keep milliseconds), or
 * undefined when `value` is undefined.
 * @throws InvalidArgumentError naming `name` for anything else: another type or shape, a
 * field out of range (month 13, 30 February, 24:00, a leap second), or a time outside the
 * years 0001–9999 (in UTC), which not every store can hold.
 */
export function parseTimeBound(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? ISO_TIMESTAMP.exec(value) : null;
  const ms = match === null ? Number.NaN : epochMs(match);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `${name} must be an ISO 8601 timestamp with an offset (e.g. 2024-05-01T12:00:00Z), got ${shown(value)}`,
    );
  }
  const iso = new Date(ms).toISOString();
  // Checked in UTC, where an offset may have moved the time out of the input's year.
  if (!/^\d{4}-/.test(iso) || iso.startsWith('0000-')) {
    throw new InvalidArgumentError(
      `${name} is out of range (years 0001–9999 in UTC), got ${shown(value)}`,
    );
  }
  return iso;
}

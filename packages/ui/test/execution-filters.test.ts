import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EXECUTION_STATUSES,
  type ExecutionFilters,
  filtersFromQuery,
  filtersToQuery,
  listQuery,
  localToIso,
} from '../src/app/model/execution-filters.js';

const EMPTY: ExecutionFilters = {
  workflowId: '',
  status: [],
  createdAfter: '',
  createdBefore: '',
  cursor: '',
};

describe('filtersFromQuery / filtersToQuery', () => {
  it('reads every filter of a query', () => {
    const query = new URLSearchParams(
      'workflowId=orders&status=failed&status=running&createdAfter=2024-05-01T08:00&createdBefore=2024-05-02T00:00&cursor=abc',
    );
    expect(filtersFromQuery(query)).toEqual({
      workflowId: 'orders',
      status: ['failed', 'running'],
      createdAfter: '2024-05-01T08:00',
      createdBefore: '2024-05-02T00:00',
      cursor: 'abc',
    });
  });

  it('reads an empty query as no filters', () => {
    expect(filtersFromQuery(new URLSearchParams())).toEqual(EMPTY);
    expect(filtersToQuery(EMPTY).toString()).toBe('');
  });

  it('drops statuses it does not know', () => {
    const query = new URLSearchParams('status=failed&status=exploded&status=&status=COMPLETED');
    expect(filtersFromQuery(query).status).toEqual(['failed']);
  });

  it('round-trips filters through the query, special characters included', () => {
    const samples: ExecutionFilters[] = [
      EMPTY,
      { ...EMPTY, workflowId: 'a b&c=d/é?#' },
      { ...EMPTY, status: [...EXECUTION_STATUSES] },
      {
        workflowId: 'orders',
        status: ['paused', 'pending'],
        createdAfter: '2024-05-01T08:00',
        createdBefore: '2024-05-02T23:59',
        cursor: 'eyJ0IjoxfQ==+/',
      },
    ];
    for (const filters of samples) {
      const text = filtersToQuery(filters).toString();
      expect(filtersFromQuery(new URLSearchParams(text))).toEqual(filters);
    }
  });

  it('round-trips a query in its own order', () => {
    const text =
      'workflowId=w&status=completed&status=failed&createdAfter=2024-01-01T00%3A00&cursor=c';
    expect(filtersToQuery(filtersFromQuery(new URLSearchParams(text))).toString()).toBe(text);
  });

  it('leaves empty filters out of the query', () => {
    const query = filtersToQuery({ ...EMPTY, cursor: 'next' });
    expect([...query.keys()]).toEqual(['cursor']);
  });
});

describe('localToIso', () => {
  const tz = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = 'America/New_York';
  });
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("reads a datetime-local value in the browser's time zone, summer time included", () => {
    expect(localToIso('2024-01-15T09:30')).toBe('2024-01-15T14:30:00.000Z');
    expect(localToIso('2024-07-15T09:30')).toBe('2024-07-15T13:30:00.000Z');
  });

  it('keeps an explicit offset', () => {
    expect(localToIso('2024-01-15T09:30:00Z')).toBe('2024-01-15T09:30:00.000Z');
    expect(localToIso('2024-01-15T09:30:00+02:00')).toBe('2024-01-15T07:30:00.000Z');
  });

  it('is undefined for empty or unreadable text', () => {
    expect(localToIso('')).toBeUndefined();
    expect(localToIso('yesterday')).toBeUndefined();
    expect(localToIso('2024-13-45T99:99')).toBeUndefined();
  });
});

describe('listQuery', () => {
  it('leaves out empty filters and keeps the page size', () => {
    expect(listQuery(EMPTY, 25)).toEqual({
      workflowId: undefined,
      status: undefined,
      createdAfter: undefined,
      createdBefore: undefined,
      cursor: undefined,
      limit: 25,
    });
  });

  it('sends every filter, the times as ISO instants', () => {
    const query = listQuery(
      {
        workflowId: 'orders',
        status: ['failed', 'cancelled'],
        createdAfter: '2024-05-01T08:00Z',
        createdBefore: '2024-05-02T00:00Z',
        cursor: 'abc',
      },
      50,
    );
    expect(query).toEqual({
      workflowId: 'orders',
      status: ['failed', 'cancelled'],
      createdAfter: '2024-05-01T08:00:00.000Z',
      createdBefore: '2024-05-02T00:00:00.000Z',
      cursor: 'abc',
      limit: 50,
    });
  });

  it('leaves out a time that cannot be read', () => {
    const query = listQuery({ ...EMPTY, createdAfter: 'soon' }, 10);
    expect(query.createdAfter).toBeUndefined();
  });
});

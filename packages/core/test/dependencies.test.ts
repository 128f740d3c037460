import { describe, expect, it } from 'vitest';
import { isConnectionError } from '../src/dependencies.js';
import { DependencyUnavailableError } from '../src/errors.js';

describe('isConnectionError', () => {
  it('is true for connection failures of Node, ioredis and node-postgres, also as a cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
    });
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    const retries = new Error('Reached the max retries per request limit (which is 20).');
    retries.name = 'MaxRetriesPerRequestError';
    expect(isConnectionError(retries)).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('admin shutdown'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isConnectionError(Object.assign(new Error('no connection'), { code: '08006' }))).toBe(
      true,
    );
    expect(isConnectionError(new Error('wrapped', { cause: refused }))).toBe(true);
  });

  it('is false for errors of the call itself', () => {
    expect(isConnectionError(new Error('relation "x" does not exist'))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    expect(isConnectionError(new Error('WRONGTYPE Operation against a key'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
    expect(isConnectionError(null)).toBe(false);
  });
});

it('DependencyUnavailableError names the parts and when to retry', () => {
  const e = new DependencyUnavailableError(['redis', 'store'], 3);
  expect(e.toJSON()).toEqual({
    code: 'UNAVAILABLE',
    message: 'redis and store unavailable; try again',
    details: { dependencies: ['redis', 'store'], retryAfterSeconds: 3 },
  });
});

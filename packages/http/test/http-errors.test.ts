import {
  CycleDetectedError,
  DependencyUnavailableError,
  EngineClosedError,
  EnqueueFailedError,
  EnqueueOutcomeUnknownError,
  InvalidSignatureError,
  PayloadTooLargeError,
  QuotaExceededError,
  SpaneError,
  WorkflowNotFoundError,
} from '@spane/core';
import { describe, expect, it } from 'vitest';
import { HttpError, STATUS_BY_SPANE_CODE, toHttpErrorResponse } from '../src/index.js';
import { jsonNestingDepth, parseJsonBody } from '../src/json-body-parser.js';

describe('toHttpErrorResponse', () => {
  it('maps SpaneErrors by code', () => {
    expect(toHttpErrorResponse(new WorkflowNotFoundError('w')).statusCode).toBe(404);
    expect(toHttpErrorResponse(new CycleDetectedError(['a', 'b', 'a'])).statusCode).toBe(422);
    expect(toHttpErrorResponse(new PayloadTooLargeError('x', 1, 2)).statusCode).toBe(413);
    expect(toHttpErrorResponse(new InvalidSignatureError('bad')).statusCode).toBe(401);
    const timeout = toHttpErrorResponse(new SpaneError('TIMEOUT', 'waited too long'));
    expect(timeout).toMatchObject({ statusCode: 504, internal: false });
    expect(STATUS_BY_SPANE_CODE.DUPLICATE_DELIVERY).toBe(409);
  });

  it('answers 503 with the code when the engine is closed or a start failed', () => {
    expect(toHttpErrorResponse(new EngineClosedError())).toMatchObject({
      statusCode: 503,
      body: { error: { code: 'ENGINE_CLOSED' } },
      internal: false,
    });
    const failed = toHttpErrorResponse(new EnqueueFailedError(['e1'], new Error('down')));
    expect(failed).toMatchObject({
      statusCode: 503,
      body: { error: { code: 'ENQUEUE_FAILED', details: { executionIds: ['e1'] } } },
    });
    const unknown = toHttpErrorResponse(new EnqueueOutcomeUnknownError(['e2'], new Error('x')));
    expect(unknown).toMatchObject({
      statusCode: 503,
      body: { error: { code: 'ENQUEUE_OUTCOME_UNKNOWN', details: { executionIds: ['e2'] } } },
    });
  });

  it('answers 429 QUOTA_EXCEEDED with the quota, its limit and the current count', () => {
    expect(toHttpErrorResponse(new QuotaExceededError('activeExecutions', 5, 5, 2))).toEqual({
      statusCode: 429,
      body: {
        error: {
          code: 'QUOTA_EXCEEDED',
          message: expect.stringContaining('5 of at most 5'),
          details: { quota: 'activeExecutions', limit: 5, current: 5, requested: 2 },
        },
      },
      headers: {},
      internal: false,
    });
  });

  it('answers 503 UNAVAILABLE with Retry-After for a part that is down or a lost connection', () => {
    expect(toHttpErrorResponse(new DependencyUnavailableError(['store'], 2))).toMatchObject({
      statusCode: 503,
      headers: { 'retry-after': '2' },
      body: { error: { code: 'UNAVAILABLE', details: { dependencies: ['store'] } } },
      internal: false,
    });
    const lost = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toHttpErrorResponse(lost)).toMatchObject({
      statusCode: 503,
      headers: { 'retry-after': '1' },
      body: { error: { code: 'UNAVAILABLE' } },
      internal: false,
    });
  });

  it('hides unknown errors behind a generic 500', () => {
    const res = toHttpErrorResponse(new Error('SELECT * FROM secrets failed'));
    expect(res).toEqual({
      statusCode: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
      headers: {},
      internal: true,
    });
    expect(toHttpErrorResponse(new SpaneError('NON_RETRYABLE', 'executor detail')).body).toEqual(
      res.body,
    );
    expect(toHttpErrorResponse('a string').statusCode).toBe(500);
  });

  it('keeps HTTP-layer errors and their headers', () => {
    const res = toHttpErrorResponse(
      new HttpError(401, 'UNAUTHORIZED', 'no', { headers: { 'www-authenticate': 'Bearer' } }),
    );
    expect(res).toMatchObject({ statusCode: 401, headers: { 'www-authenticate': 'Bearer' } });
  });
});

describe('JSON bodies', () => {
  it('measures nesting without counting brackets inside strings', () => {
    expect(jsonNestingDepth('{"a":[1,{"b":"[[[{{{"}]}')).toBe(3);
    expect(jsonNestingDepth('"\\"[["')).toBe(0);
    expect(jsonNestingDepth('[[[[[[', 3)).toBe(4);
  });

  it('parses ordinary JSON and treats an empty body as none', () => {
    expect(parseJsonBody('{"a":[1,"x"],"constructor":1}', 64)).toEqual({
      a: [1, 'x'],
      constructor: 1,
    });
    expect(parseJsonBody('  ', 64)).toBeUndefined();
  });
});

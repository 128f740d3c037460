import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import {
  CycleDetectedError,
  DepthLimitExceededError,
  DLQItemNotFoundError,
  ExecutionNotFoundError,
  InvalidArgumentError,
  InvalidTransitionError,
  isSpaneError,
  NodeAlreadySettledError,
  NodeNotFoundError,
  NodeTimeoutError,
  NodeTypeAlreadyRegisteredError,
  NodeTypeNotRegisteredError,
  NonRetryableError,
  PayloadTooLargeError,
  SpaneError,
  type SpaneErrorCode,
  VersionConflictError,
  WorkflowNotFoundError,
  WorkflowValidationError,
} from '../src/errors.js';

type ErrorsModule = typeof errors;

const issue = {
  path: '/nodes/0/id',
  code: 'INVALID_ID',
  message: 'bad',
  severity: 'error',
} as const;

/** One instance of every error class, built from a given copy of the module. */
function samples(m: ErrorsModule): [string, errors.SpaneError, SpaneErrorCode][] {
  return [
    ['SpaneError', new m.SpaneError('TIMEOUT', 'too slow'), 'TIMEOUT'],
    ['WorkflowValidationError', new m.WorkflowValidationError([issue]), 'VALIDATION_FAILED'],
    ['CycleDetectedError', new m.CycleDetectedError(['a', 'b', 'a']), 'CYCLE_DETECTED'],
    ['WorkflowNotFoundError', new m.WorkflowNotFoundError('wf'), 'WORKFLOW_NOT_FOUND'],
    ['ExecutionNotFoundError', new m.ExecutionNotFoundError('e1'), 'EXECUTION_NOT_FOUND'],
    ['NodeNotFoundError', new m.NodeNotFoundError('n', 'wf'), 'NODE_NOT_FOUND'],
    [
      'NodeTypeNotRegisteredError',
      new m.NodeTypeNotRegisteredError('http'),
      'NODE_TYPE_NOT_REGISTERED',
    ],
    [
      'NodeTypeAlreadyRegisteredError',
      new m.NodeTypeAlreadyRegisteredError('http'),
      'NODE_TYPE_ALREADY_REGISTERED',
    ],
    ['DLQItemNotFoundError', new m.DLQItemNotFoundError('d1'), 'DLQ_ITEM_NOT_FOUND'],
    ['NodeRunCancelledError', new m.NodeRunCancelledError('cancelled'), 'CANCELLED'],
    [
      'InvalidTransitionError',
      new m.InvalidTransitionError('completed', 'running'),
      'INVALID_TRANSITION',
    ],
    ['VersionConflictError', new m.VersionConflictError('e1', 1, 2), 'VERSION_CONFLICT'],
    [
      'NodeAlreadySettledError',
      new m.NodeAlreadySettledError('n', 'completed'),
      'NODE_ALREADY_SETTLED',
    ],
    ['PayloadTooLargeError', new m.PayloadTooLargeError('output', 10, 20), 'PAYLOAD_TOO_LARGE'],
    [
      'PayloadNotStorableError',
      new m.PayloadNotStorableError('output', 'a BigInt', '/a'),
      'PAYLOAD_NOT_STORABLE',
    ],
    ['InvalidArgumentError', new m.InvalidArgumentError('bad'), 'INVALID_ARGUMENT'],
    ['NonRetryableError', new m.NonRetryableError('stop'), 'NON_RETRYABLE'],
    ['NodeTimeoutError', new m.NodeTimeoutError('n', 100), 'NODE_TIMEOUT'],
    ['DepthLimitExceededError', new m.DepthLimitExceededError(11, 10), 'DEPTH_LIMIT_EXCEEDED'],
    ['WebhookNotFoundError', new m.WebhookNotFoundError('hooks/a', 'POST'), 'WEBHOOK_NOT_FOUND'],
    ['InvalidSignatureError', new m.InvalidSignatureError('expired'), 'INVALID_SIGNATURE'],
    ['DuplicateDeliveryError', new m.DuplicateDeliveryError('d-1'), 'DUPLICATE_DELIVERY'],
    ['SecretNotFoundError', new m.SecretNotFoundError('api-key'), 'SECRET_NOT_FOUND'],
    ['SecretsDisabledError', new m.SecretsDisabledError('no master key'), 'SECRETS_DISABLED'],
    ['EngineClosedError', new m.EngineClosedError(), 'ENGINE_CLOSED'],
    ['EnqueueFailedError', new m.EnqueueFailedError(['e1'], new Error('x')), 'ENQUEUE_FAILED'],
    [
      'EnqueueOutcomeUnknownError',
      new m.EnqueueOutcomeUnknownError(['e1'], new Error('x')),
      'ENQUEUE_OUTCOME_UNKNOWN',
    ],
    ['QuotaExceededError', new m.QuotaExceededError('workflows', 10, 10), 'QUOTA_EXCEEDED'],
    ['DependencyUnavailableError', new m.DependencyUnavailableError(['redis'], 2), 'UNAVAILABLE'],
  ];
}

/** The classes of a copy of the module, by name. */
function classes(m: ErrorsModule): Record<string, abstract new (...args: never[]) => unknown> {
  return Object.fromEntries(
    Object.entries(m).filter(([k, v]) => typeof v === 'function' && /^[A-Z]\w*Error$/.test(k)),
  ) as Record<string, abstract new (...args: never[]) => unknown>;
}

/** Direct parent class name of every class (all others extend SpaneError directly). */
const parentOf: Record<string, string> = {
  CycleDetectedError: 'WorkflowValidationError',
};
const ancestors = (name: string): string[] =>
  name === 'SpaneError' ? [name] : [name, ...ancestors(parentOf[name] ?? 'SpaneError')];

/** A second, independent copy of the errors module (as a bundled dependency would have). */
async function secondCopy(): Promise<ErrorsModule> {
  const specifier = '../src/errors.ts?copy=2';
  const copy = (await import(/* @vite-ignore */ specifier)) as ErrorsModule;
  // Really another module instance, not the cached one.
  expect(copy.SpaneError).not.toBe(SpaneError);
  expect(copy.NodeNotFoundError).not.toBe(NodeNotFoundError);
  return copy;
}

describe('error classes', () => {
  it('each has a stable code, its class name and is an Error', () => {
    for (const [name, e, code] of samples(errors)) {
      expect(e.code, name).toBe(code);
      // A cancelled run's error is the reason of an aborted signal: named like every abort.
      expect(e.name).toBe(name === 'NodeRunCancelledError' ? 'AbortError' : name);
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(SpaneError);
      expect(isSpaneError(e)).toBe(true);
      expect(isSpaneError(e, code)).toBe(true);
      expect(isSpaneError(e, code === 'TIMEOUT' ? 'NODE_TIMEOUT' : 'TIMEOUT')).toBe(false);
      expect(typeof e.message).toBe('string');
      expect(e.message.length).toBeGreaterThan(0);
      expect(e.stack).toBeDefined();
    }
  });

  it('the sample list covers every exported class', () => {
    expect(
      samples(errors)
        .map(([n]) => n)
        .sort(),
    ).toEqual(Object.keys(classes(errors)).sort());
  });

  it('carries its data as fields and in details', () => {
    const wf = new WorkflowNotFoundError('wf', 'v1');
    expect(wf).toMatchObject({ workflowId: 'wf', workflowVersion: 'v1' });
    expect(wf.message).toBe("Workflow 'wf' version 'v1' not found");
    expect(new WorkflowNotFoundError('wf').message).toBe("Workflow 'wf' not found");
    expect(new WorkflowNotFoundError('wf').workflowVersion).toBeUndefined();
    expect(new ExecutionNotFoundError('e1').executionId).toBe('e1');
    expect(new NodeNotFoundError('n', 'wf').nodeId).toBe('n');
    expect(new NodeTypeNotRegisteredError('http').nodeType).toBe('http');
    expect(new NodeTypeAlreadyRegisteredError('http').nodeType).toBe('http');
    expect(new DLQItemNotFoundError('d').itemId).toBe('d');
    expect(new InvalidTransitionError('a', 'b')).toMatchObject({
      from: 'a',
      to: 'b',
      details: { from: 'a', to: 'b' },
    });
    expect(new VersionConflictError('e', 1, 2)).toMatchObject({
      executionId: 'e',
      expectedVersion: 1,
      actualVersion: 2,
    });
    expect(new NodeAlreadySettledError('n', 'skipped')).toMatchObject({
      nodeId: 'n',
      status: 'skipped',
    });
    expect(new PayloadTooLargeError('x', 1, 2)).toMatchObject({ limitBytes: 1, actualBytes: 2 });
    expect(new NodeTimeoutError('n', 5).timeoutMs).toBe(5);
    expect(new DepthLimitExceededError(3, 2)).toMatchObject({ depth: 3, limit: 2 });
    expect(new CycleDetectedError(['a', 'a']).path).toEqual(['a', 'a']);
    expect(new InvalidArgumentError('bad', { field: 'x' }).details).toEqual({ field: 'x' });
    expect(new InvalidArgumentError('bad').details).toBeUndefined();
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new NonRetryableError('stop', { cause }).cause).toBe(cause);
    expect(new SpaneError('TIMEOUT', 'x', { cause, details: 1 })).toMatchObject({
      cause,
      details: 1,
    });
    expect('cause' in new SpaneError('TIMEOUT', 'x')).toBe(false);
  });

  it('serialises with toJSON', () => {
    expect(new SpaneError('TIMEOUT', 'slow').toJSON()).toEqual({
      code: 'TIMEOUT',
      message: 'slow',
    });
    expect(JSON.parse(JSON.stringify(new ExecutionNotFoundError('e1')))).toEqual({
      code: 'EXECUTION_NOT_FOUND',
      message: "Execution 'e1' not found",
      details: { executionId: 'e1' },
    });
  });

  it('WorkflowValidationError summarises its first error', () => {
    const warning = {
      path: '/nodes/1',
      code: 'UNREACHABLE_NODE',
      message: 'w',
      severity: 'warning',
    } as const;
    expect(new WorkflowValidationError([warning, issue]).message).toBe(
      'Invalid workflow definition: /nodes/0/id: bad',
    );
    expect(new WorkflowValidationError([issue, { ...issue, path: '' }]).message).toBe(
      'Invalid workflow definition: /nodes/0/id: bad (and 1 more)',
    );
    expect(new WorkflowValidationError([{ ...issue, path: '' }]).message).toBe(
      'Invalid workflow definition: /: bad',
    );
    expect(new WorkflowValidationError([]).message).toBe(
      'Invalid workflow definition: invalid workflow',
    );
    expect(new CycleDetectedError(['a', 'b', 'a']).message).toContain('a -> b -> a');
  });
});

describe('instanceof', () => {
  it('follows the class hierarchy and nothing else', () => {
    const all = classes(errors);
    for (const [name, e] of samples(errors)) {
      const expected = ancestors(name);
      for (const [other, cls] of Object.entries(all)) {
        expect(e instanceof cls, `${name} instanceof ${other}`).toBe(expected.includes(other));
      }
    }
  });

  it('is false for plain errors, lookalikes and primitives', () => {
    const lookalike = Object.assign(new Error('x'), {
      code: 'NODE_NOT_FOUND',
      name: 'NodeNotFoundError',
    });
    for (const v of [
      new Error('x'),
      lookalike,
      { code: 'TIMEOUT' },
      null,
      undefined,
      'SpaneError',
      1,
    ]) {
      expect(v instanceof SpaneError).toBe(false);
      expect(v instanceof NodeNotFoundError).toBe(false);
      expect(isSpaneError(v)).toBe(false);
    }
  });

  it('works across two copies of the module, in both directions', async () => {
    const copy = await secondCopy();
    const mine = classes(errors);
    const theirs = classes(copy);
    for (const [from, to, label] of [
      [copy, mine, 'copy -> original'],
      [errors, theirs, 'original -> copy'],
    ] as const) {
      for (const [name, e, code] of samples(from)) {
        const expected = ancestors(name);
        for (const [other, cls] of Object.entries(to)) {
          expect(e instanceof cls, `${label}: ${name} instanceof ${other}`).toBe(
            expected.includes(other),
          );
        }
        expect(isSpaneError(e, code)).toBe(true);
        expect(copy.isSpaneError(e, code)).toBe(true);
      }
    }
    // The prototype chains really are different.
    const foreign = new copy.NodeNotFoundError('n', 'wf');
    expect(Object.getPrototypeOf(foreign)).not.toBe(NodeNotFoundError.prototype);
    expect(foreign).toBeInstanceOf(NodeNotFoundError);
    expect(foreign).not.toBeInstanceOf(ExecutionNotFoundError);
    expect(foreign instanceof Error).toBe(true);
  });

  it("recognises any object carrying the Symbol.for('spane.error.<Name>') brand", () => {
    const branded = { [Symbol.for('spane.error.NodeNotFoundError')]: true };
    expect(branded instanceof NodeNotFoundError).toBe(true);
    expect(branded instanceof SpaneError).toBe(false);
    const inherited = Object.create({ [Symbol.for('spane.error.SpaneError')]: true });
    expect(inherited instanceof SpaneError).toBe(true);
    expect(
      { [Symbol.for('spane.error.NodeNotFoundError')]: 'yes' } instanceof NodeNotFoundError,
    ).toBe(false);
  });

  it('an unbranded subclass defined elsewhere gets the ordinary prototype check', () => {
    class TenantError extends SpaneError {
      constructor() {
        super('INVALID_ARGUMENT', 'tenant');
      }
    }
    class StrictTenantError extends TenantError {}
    const e = new TenantError();
    expect(e).toBeInstanceOf(TenantError);
    expect(e).toBeInstanceOf(SpaneError);
    expect(e.name).toBe('TenantError');
    expect(new StrictTenantError()).toBeInstanceOf(TenantError);
    // Other SPANE errors are not TenantErrors.
    expect(new InvalidArgumentError('x') instanceof TenantError).toBe(false);
    expect(new SpaneError('TIMEOUT', 'x') instanceof TenantError).toBe(false);
    expect(e instanceof StrictTenantError).toBe(false);
  });
});

import { compileWorkflow, InvalidArgumentError } from '@spane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresExecutionStore } from '../src/index.js';
import { createSchema, dropSchema, schemaName, store } from './helpers.js';

const schema = schemaName();
let s: PostgresExecutionStore;

beforeAll(async () => {
  await createSchema(schema);
  s = store(schema);
});

afterAll(async () => {
  await s?.close();
  await dropSchema(schema);
});

/** What a caller may see of an error: its message, and what the HTTP layer would send. */
function visible(error: unknown): string {
  return `${(error as Error).message} ${JSON.stringify(error)}`;
}

const LEAKS =
  /postgres|sqlstate|22P0|2200|22021|jsonb|json\b|syntax|surrogate must|select|insert|update|"spane_t_/i;

describe('values PostgreSQL refuses', () => {
  it('a lone surrogate in JSON data is InvalidArgumentError naming no database, SQLSTATE or SQL; the store stays usable', async () => {
    const plan = compileWorkflow({
      id: 'refused',
      name: 'refused',
      nodes: [{ id: 'A', type: 'x' }],
    });
    await s.saveWorkflow(plan);
    for (const initialData of [{ text: 'a\ud800b' }, { text: '\udc00' }, ['\ud83d']]) {
      const error = await s.createExecution({ plan, initialData }).then(
        () => expect.fail(`accepted ${JSON.stringify(initialData)}`),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(/^the store refused a value: /);
      expect(visible(error)).not.toMatch(LEAKS);
      expect((error as InvalidArgumentError).details).toBeUndefined();
      // The database's own error stays available to logs, as the cause.
      expect(((error as Error).cause as { code?: string }).code).toMatch(/^22/);
    }
    const { execution } = await s.createExecution({ plan, initialData: { text: '😀 fine' } });
    expect((await s.getExecution(execution.executionId))?.initialData).toEqual({ text: '😀 fine' });
  });
});

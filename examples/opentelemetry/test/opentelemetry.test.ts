import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('prints the span tree of a traced execution and the traceparent sent downstream', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toMatch(/^ {2}POST \/orders \[unset, /m);
  expect(output).toMatch(/^ {4}execution order \[ok, .*execution=/m);
  for (const node of ['validate', 'reserve', 'charge', 'confirm']) {
    expect(output).toMatch(new RegExp(`^ {6}node ${node} \\[ok, .* attempt=1`, 'm'));
  }
  expect(output).toMatch(/downstream saw traceparent 00-[0-9a-f]{32}-[0-9a-f]{16}-01/);
  expect(output).toMatch(/^OK: 6 spans in trace /m);
}, 90_000);

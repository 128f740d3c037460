import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('takes one branch per run, skips the other with its descendants, runs the join once', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain('ran route: kind "refund" → refund');
  expect(output).toContain('skipped repair (not-selected)');
  expect(output).toContain('skipped book-technician (upstream-skipped)');
  expect(output).toContain('ran notify with {"refund":{"refunded":30}}');
  expect(output).toContain('skipped refund (not-selected)');
  expect(output).toContain('ran notify with {"book-technician":{"visit":"R-o-2/tuesday"}}');
  expect(output).toMatch(/^OK: /m);
}, 90_000);

import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('maps data through two levels of sub-workflows and propagates a grandchild failure', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain('[depth 2] credit-score/ask-bureau got {"customerId":"c-42"}');
  expect(output).toContain(
    'onboarding completed; enrich\'s output: {"customerScore":712,"tier":"gold"}',
  );
  expect(output).toContain('welcome: {"message":"Welcome, gold customer (score 712)"}');
  expect(output).toContain("credit-score failed: Node 'ask-bureau' failed: no credit record");
  expect(output).toMatch(
    /onboarding failed: Node 'enrich' failed: sub-workflow 'enrich-customer' \(execution \S+\) failed: Node 'score' failed: sub-workflow 'credit-score'/,
  );
  expect(output).toMatch(/^OK: /m);
}, 90_000);

import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('shows the events, logs, spans and a replay from a node', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain('event node:retrying transform (attempt 1): lookup table cold');
  expect(output).toContain('warn  transform: lookup table not warm yet {"attempt":1}');
  expect(output).toContain('span transform attempt 1: error');
  expect(output).toMatch(/span transform attempt 2: ok/);
  expect(output).toMatch(/"replayedFromNode":"transform","reusedNodes":\["extract"\]/);
  expect(output).toContain(
    'executor calls during the replay: {"extract":0,"transform":1,"load":1}',
  );
  expect(output).toMatch(/^OK: /m);
}, 90_000);

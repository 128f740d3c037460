import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('prices line items 5 at once with per-item retries, and collects the lines that failed', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain(
    'progress while the first items run: {"total":8,"done":0,"failed":0,"running":5}',
  );
  expect(output).toContain('price-line ink: attempt 1 fails (pricing service busy)');
  expect(output).toContain('price-order completed; total: {"lines":8,"cents":7845}');
  expect(output).toContain(
    'price output: [{"sku":"pen","cents":1200},{"sku":"ink","cents":1798},{"sku":"pad","cents":1250},',
  );
  expect(output).toContain('8 child executions, at most 5 running at once');
  expect(output).toContain(
    '"errors":[{"index":5,"error":"failed: Node \'check\' failed: glue is out of stock"},{"index":7,',
  );
  expect(output).toContain(
    'summary: {"reserved":["pen","ink","pad","clip","tape","ruler"],"backordered":["glue","stamp"]}',
  );
  expect(output).toMatch(/^OK: /m);
}, 90_000);

import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('starts workflows from a signed webhook, a cron schedule and an event', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain(
    'execution completed, trigger {"type":"webhook","method":"POST","path":"shop/orders","deliveryId":"delivery-1"}',
  );
  expect(output).toContain('the same signature on a changed body: InvalidSignatureError');
  expect(output).toContain('the same signature under another delivery id: InvalidSignatureError');
  expect(output).toContain('the same delivery sent again: DuplicateDeliveryError');
  expect(output).toContain('heartbeat/check-health got {"beat":true}');
  expect(output).toMatch(/execution completed, trigger \{"type":"schedule",/);
  expect(output).toContain(
    'execution completed, trigger {"type":"event","event":"user.signed-up"}',
  );
  expect(output).toMatch(/^OK: /m);
}, 90_000);

/**
 * Three ways to start a workflow without calling enqueueWorkflow: a webhook signed with
 * signWebhook and delivered through the engine's webhook API, a cron schedule, and an
 * emitted event.
 */
import { signWebhook, WorkflowEngine } from '@spane/bullmq';
import { DuplicateDeliveryError, InvalidSignatureError, NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample } from '@spane-examples/kit';

await runExample(
  'triggers',
  async ({ prefix, redis, say, expectEqual, check, defer, nextEvent }) => {
    const registry = new NodeRegistry();
    registry.register('record', {
      execute: async (ctx) => {
        say(`  ${ctx.workflowId}/${ctx.nodeId} got ${JSON.stringify(ctx.inputData)}`);
        return { success: true, data: ctx.inputData };
      },
    });
    const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
    defer(() => engine.close());
    const secret = 'whsec-example';
    await engine.registerWorkflow({
      id: 'order-received',
      name: 'Order received',
      triggers: [{ type: 'webhook', path: 'shop/orders', method: 'POST', secret }],
      nodes: [{ id: 'store-order', type: 'record' }],
    });
    await engine.registerWorkflow({
      id: 'welcome',
      name: 'Welcome',
      triggers: [{ type: 'event', event: 'user.signed-up' }],
      nodes: [{ id: 'send-welcome', type: 'record' }],
    });
    await engine.startWorkers(4);

    say('1. a signed webhook');
    const rawBody = JSON.stringify({ orderId: 'o-99', total: 25 });
    // The signature covers the delivery id: HMAC-SHA256(secret, "<t>.<delivery id>.<body>").
    const signed = (deliveryId: string) => ({
      'content-type': 'application/json',
      'x-spane-delivery': deliveryId,
      'x-spane-signature': signWebhook(secret, rawBody, { deliveryId }),
    });
    const headers = signed('delivery-1');
    say(`  POST shop/orders ${rawBody} with x-spane-signature ${headers['x-spane-signature']}`);
    const [orderRun, ...more] = await engine.triggerWebhook(
      'shop/orders',
      'POST',
      rawBody,
      headers,
    );
    expectEqual('executions started by the webhook', more.length + (orderRun ? 1 : 0), 1);
    const order = await engine.waitForExecution(orderRun!, { timeoutMs: 10_000 });
    say(`  execution ${order.status}, trigger ${JSON.stringify(order.metadata.trigger)}`);
    expectEqual('webhook run status', order.status, 'completed');
    expectEqual('webhook body', (order.initialData as any)?.body, { orderId: 'o-99', total: 25 });
    expectEqual('webhook trigger', order.metadata.trigger, {
      type: 'webhook',
      method: 'POST',
      path: 'shop/orders',
      deliveryId: 'delivery-1',
    });

    const tampered = JSON.stringify({ orderId: 'o-99', total: 1 });
    const forged = await engine
      .triggerWebhook('shop/orders', 'POST', tampered, signed('delivery-2'))
      .catch((e: unknown) => e);
    say(`  the same signature on a changed body: ${(forged as Error).constructor.name}`);
    check(forged instanceof InvalidSignatureError, 'a tampered body should be refused');
    const relabelled = await engine
      .triggerWebhook('shop/orders', 'POST', rawBody, { ...headers, 'x-spane-delivery': 'd-3' })
      .catch((e: unknown) => e);
    say(
      `  the same signature under another delivery id: ${(relabelled as Error).constructor.name}`,
    );
    check(
      relabelled instanceof InvalidSignatureError,
      'a signature should not carry over to another delivery id',
    );
    const again = await engine
      .triggerWebhook('shop/orders', 'POST', rawBody, headers)
      .catch((e: unknown) => e);
    say(`  the same delivery sent again: ${(again as Error).constructor.name}`);
    check(again instanceof DuplicateDeliveryError, 'a repeated delivery should be refused');
    const orderRuns = await engine.listExecutions({ workflowId: 'order-received' });
    expectEqual('executions of order-received', orderRuns.items.length, 1);

    say('2. a cron schedule firing every second');
    const fired = nextEvent(
      engine,
      'workflow:completed',
      (e) => e.workflowId === 'heartbeat',
      10_000,
    );
    await engine.registerWorkflow({
      id: 'heartbeat',
      name: 'Heartbeat',
      triggers: [{ type: 'schedule', cron: '* * * * * *', initialData: { beat: true } }],
      nodes: [{ id: 'check-health', type: 'record' }],
    });
    const beat = await engine.getExecution((await fired).executionId);
    const trigger = beat?.metadata.trigger as { type: string; at: string } | undefined;
    say(`  execution ${beat?.status}, trigger ${JSON.stringify(trigger)}`);
    await engine.unregisterWorkflow('heartbeat'); // removes its schedule
    say('  unregistered heartbeat: no more firings');
    expectEqual('scheduled run initial data', beat?.initialData, { beat: true });
    expectEqual('scheduled run trigger type', trigger?.type, 'schedule');
    check(
      trigger !== undefined && Date.parse(trigger.at) % 1000 === 0,
      `the firing time should be a whole second, was ${trigger?.at}`,
    );

    say('3. an emitted event');
    const [welcomeRun] = await engine.emitEvent('user.signed-up', { email: 'ada@example.com' });
    const welcome = await engine.waitForExecution(welcomeRun!, { timeoutMs: 10_000 });
    say(`  execution ${welcome.status}, trigger ${JSON.stringify(welcome.metadata.trigger)}`);
    expectEqual('event run status', welcome.status, 'completed');
    expectEqual('event run input', welcome.initialData, { email: 'ada@example.com' });
    expectEqual('event trigger', welcome.metadata.trigger, {
      type: 'event',
      event: 'user.signed-up',
    });
    const nobody = await engine.emitEvent('user.deleted', {});
    say(`  an event no workflow listens to starts ${nobody.length} executions`);
    expectEqual('runs started by an unheard event', nobody, []);
    return 'the signed webhook, the cron schedule and the event each started their workflow';
  },
);

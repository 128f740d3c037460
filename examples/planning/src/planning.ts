import {
  compileWorkflow,
  type ExecutionResult,
  type ExecutionState,
  validateWorkflow,
  type WorkflowDefinition,
} from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';

/** A support-ticket triage flow: a switch picks one branch, the join runs once, the other branch is skipped. */
export const triage: WorkflowDefinition = {
  id: 'ticket-triage',
  name: 'Ticket triage',
  nodes: [
    { id: 'fetch', type: 'noop' },
    { id: 'classify', type: 'switch', inputs: ['fetch'] },
    { id: 'urgent', type: 'page-on-call', inputs: ['classify'] },
    { id: 'normal', type: 'queue-ticket', inputs: ['classify'] },
    { id: 'escalate', type: 'noop', inputs: ['normal'] },
    { id: 'notify', type: 'email', inputs: ['urgent', 'escalate'] },
  ],
};

/** What each node does in this walk-through (the engine runs registered executors instead). */
function run(nodeId: string, input: any): ExecutionResult {
  switch (nodeId) {
    case 'fetch':
      return { success: true, data: input };
    case 'classify':
      return {
        success: true,
        data: input,
        nextNodes: [input.priority === 'high' ? 'urgent' : 'normal'],
      };
    case 'urgent':
      return { success: true, data: { paged: input.ticket } };
    case 'normal':
      return { success: true, data: { queued: input.ticket } };
    default:
      return { success: true, data: { sentFor: input } };
  }
}

/**
 * Validates and compiles the workflow, then steps one execution through the in-memory
 * store: each ready node is begun (the store hands back its input), run, and completed
 * (the store answers which nodes became ready or were skipped).
 */
export async function walkThrough(
  initialData: unknown,
  say: (line: string) => void = console.log,
): Promise<ExecutionState> {
  const { issues } = validateWorkflow(triage);
  say(`validation: ${issues.length === 0 ? 'no issues' : issues.map((i) => i.message).join('; ')}`);
  const plan = compileWorkflow(triage);
  say(
    `plan ${plan.workflowId}@${plan.version}: order ${plan.order.join(' → ')}, entry ${plan.entryNodes.join(', ')}`,
  );

  const store = new InMemoryExecutionStore();
  await store.saveWorkflow(plan);
  const { execution, ready } = await store.createExecution({ plan, initialData });
  const queue = [...ready];
  while (queue.length > 0) {
    const nodeId = queue.shift()!;
    const begun = await store.beginNodeRun(plan, execution.executionId, nodeId);
    if (!begun.started) throw new Error(`${nodeId} did not start: ${begun.reason}`);
    const result = run(nodeId, begun.inputData);
    say(`ran ${nodeId} with ${JSON.stringify(begun.inputData)}`);
    const done = await store.completeNode(plan, execution.executionId, nodeId, {
      type: 'completed',
      data: result.data,
      nextNodes: result.nextNodes,
    });
    for (const s of done.skipped) say(`  skipped ${s.nodeId} (${s.reason})`);
    if (done.ready.length > 0) say(`  ready: ${done.ready.join(', ')}`);
    queue.push(...done.ready);
  }
  const final = (await store.getExecution(execution.executionId))!;
  say(`execution ${final.status}`);
  await store.close();
  return final;
}

/**
 * The workload's node types. Every invocation appends a `start` record, and an `end` record
 * when it returns or throws; a `work` node appends its "external effect" (keyed by
 * execution + node + attempt) just before it returns, unless its run was aborted. Outputs
 * carry the invocation's `runId` so the checker can tell which invocation the store kept.
 * The poison types break the engine's assumptions on purpose.
 */
import type { ExecutionContext, ExecutionResult, NodeRegistry } from '@spane/core';
import { appendRecord } from './records.js';

/** The poison node types and what each does. */
export const POISON_KINDS = {
  throws: 'always throws',
  big: 'returns a 10 MB output',
  bigint: 'returns a BigInt',
  circular: 'returns circular data',
  exit: 'calls process.exit(1)',
  oom: 'allocates until the heap is exhausted (workers run with --max-old-space-size)',
  hang: 'never resolves (no timeout set)',
} as const;

/** A poison kind: a key of {@link POISON_KINDS}. */
export type PoisonKind = keyof typeof POISON_KINDS;

let counter = 0;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}

function poisonOutput(kind: PoisonKind): unknown {
  switch (kind) {
    case 'throws':
      throw new Error('poison: this node always throws');
    case 'big':
      return { blob: 'x'.repeat(10 * 1024 * 1024) };
    case 'bigint':
      return { n: 10n ** 30n };
    case 'circular': {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o;
      return o;
    }
    case 'exit':
      process.exit(1);
      break;
    case 'oom': {
      const hog: string[][] = [];
      for (;;) hog.push(Array.from({ length: 1e5 }, (_, i) => `${i}-${hog.length}`));
    }
    case 'hang':
      return new Promise(() => {});
  }
}

/** Registers `work` and every `poison-<kind>` type, recording into `file`. */
export function registerNodeTypes(registry: NodeRegistry, file: string | undefined): void {
  const record = (
    ctx: ExecutionContext,
    kind: 'start' | 'end' | 'effect',
    runId: string,
    outcome?: 'ok' | 'error' | 'aborted',
  ) => {
    if (!file) return;
    const base = { runId, pid: process.pid, executionId: ctx.executionId, nodeId: ctx.nodeId };
    appendRecord(file, { kind, ...base, attempt: ctx.attempt, at: Date.now(), outcome } as never);
  };
  const traced =
    (body: (ctx: ExecutionContext, runId: string) => Promise<ExecutionResult>) =>
    async (ctx: ExecutionContext): Promise<ExecutionResult> => {
      const runId = `${process.pid}-${++counter}`;
      record(ctx, 'start', runId);
      try {
        const result = await body(ctx, runId);
        record(ctx, 'end', runId, 'ok');
        return result;
      } catch (err) {
        record(ctx, 'end', runId, ctx.signal.aborted ? 'aborted' : 'error');
        throw err;
      }
    };
  registry.register('work', {
    execute: traced(async (ctx, runId) => {
      const sleeps = (ctx.initialData as { sleep?: Record<string, number> } | undefined)?.sleep;
      await sleep(sleeps?.[ctx.nodeId] ?? 50, ctx.signal);
      if (ctx.signal.aborted) throw new Error('aborted');
      record(ctx, 'effect', runId);
      return { success: true, data: { runId, pid: process.pid } };
    }),
  });
  for (const kind of Object.keys(POISON_KINDS) as PoisonKind[]) {
    registry.register(`poison-${kind}`, {
      execute: traced(async (ctx, runId) => {
        await sleep(20, ctx.signal);
        return { success: true, data: { runId, out: await poisonOutput(kind) } };
      }),
    });
  }
}

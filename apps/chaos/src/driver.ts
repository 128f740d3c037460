/**
 * The driver: an engine without workers in the suite's own process that registers the
 * workflows and enqueues the planned executions at their times. Each call carries the
 * planned execution's idempotency key and is retried (same key) until it resolves or the
 * driver gives up; the outcome is appended as an `enqueue` record. It also records the
 * events it hears, like the workers.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowEngine } from '@spane/bullmq';
import { type EngineEventName, NodeRegistry, type WorkflowDefinition } from '@spane/core';
import type { PostgresExecutionStore } from '@spane/store-postgres';
import { registerNodeTypes } from './node-types.js';
import { appendRecord } from './records.js';
import type { PlannedExecution } from './workflows.js';

/** The driver of one scenario. */
export interface Driver {
  /** Registers the workflows (retried while Redis or the store fail, for up to 60 s). */
  register(workflows: WorkflowDefinition[]): Promise<void>;
  /** Enqueues the plan at its times; resolves when every execution has an id or was given up at `giveUpAt`. */
  run(plan: PlannedExecution[], giveUpAt: () => number): Promise<void>;
  close(): Promise<void>;
}

const CALL_TIMEOUT_MS = 10_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A driver on the scenario's prefix and store, recording into `recordsDir`. */
export function createDriver(opts: {
  redisUrl: string;
  prefix: string;
  store: PostgresExecutionStore;
  recordsDir: string;
}): Driver {
  const file = join(opts.recordsDir, 'driver.jsonl');
  const logFile = join(opts.recordsDir, 'driver.log');
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) =>
    appendFileSync(
      logFile,
      `${new Date().toISOString()} ${level} ${message} ${JSON.stringify(meta ?? {})}\n`,
    );
  const registry = new NodeRegistry();
  registerNodeTypes(registry, undefined);
  const engine = new WorkflowEngine(registry, opts.store, opts.redisUrl, {
    prefix: opts.prefix,
    logger: { debug() {}, info() {}, warn: log('warn'), error: log('error') },
  });
  const events: EngineEventName[] = ['workflow:completed', 'workflow:failed', 'workflow:cancelled'];
  for (const name of events) {
    engine.on(name, (p) => {
      const payload = p as { executionId: string; eventId?: string; id?: string };
      appendRecord(file, {
        kind: 'event',
        pid: process.pid,
        name,
        executionId: payload.executionId,
        eventId: payload.eventId ?? payload.id,
        at: Date.now(),
      });
    });
  }
  const enqueue = async (p: PlannedExecution, giveUpAt: () => number) => {
    let rejections = 0;
    let executionId: string | undefined;
    while (executionId === undefined) {
      try {
        executionId = await withTimeout(
          engine.enqueueWorkflow(p.workflowId, p.initialData, { idempotencyKey: p.key }),
          CALL_TIMEOUT_MS,
        );
      } catch (err) {
        rejections++;
        log('warn')('enqueue failed', { key: p.key, error: (err as Error).message });
        if (Date.now() > giveUpAt()) break;
        await sleep(500);
      }
    }
    appendRecord(file, {
      kind: 'enqueue',
      key: p.key,
      workflowId: p.workflowId,
      mayFail: p.mayFail,
      executionId,
      rejections,
      at: Date.now(),
    });
  };
  return {
    async register(workflows) {
      const deadline = Date.now() + 60_000;
      for (const wf of workflows) {
        for (;;) {
          try {
            await withTimeout(engine.registerWorkflow(wf), CALL_TIMEOUT_MS);
            break;
          } catch (err) {
            if (Date.now() > deadline) throw err;
            await sleep(500);
          }
        }
      }
    },
    async run(plan, giveUpAt) {
      const start = Date.now();
      await Promise.all(
        plan.map(async (p) => {
          await sleep(Math.max(0, start + p.atMs - Date.now()));
          await enqueue(p, giveUpAt);
        }),
      );
    },
    close: () => engine.close(),
  };
}

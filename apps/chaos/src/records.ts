/**
 * The append-only JSONL records the suite's processes write (one file per process, written
 * with `fs.appendFileSync`, so a line survives a SIGKILL right after it), and their reader.
 * They are independent of the Redis and PostgreSQL under test.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An executor invocation began (`start`) or returned or threw (`end`). */
export interface InvocationRecord {
  kind: 'start' | 'end';
  /** Unique per invocation: `<pid>-<counter>`; the executor returns it in its output. */
  runId: string;
  pid: number;
  executionId: string;
  nodeId: string;
  attempt: number;
  /** Epoch ms. */
  at: number;
  /** On `end`: how the invocation ended. */
  outcome?: 'ok' | 'error' | 'aborted';
}

/** The "external effect" of an invocation, keyed by execution + node + attempt. */
export interface EffectRecord {
  kind: 'effect';
  runId: string;
  pid: number;
  executionId: string;
  nodeId: string;
  attempt: number;
  at: number;
}

/** An engine event a process heard (`engine.on`), with its event id when the engine gives one. */
export interface EventRecord {
  kind: 'event';
  pid: number;
  name: string;
  executionId: string;
  nodeId?: string;
  eventId?: string;
  at: number;
}

/**
 * Something that happened to a worker process, written by the supervisor: `exit` (with
 * the signal or code), `stop` (SIGSTOP sent), `cont` (SIGCONT sent).
 */
export interface ProcessRecord {
  kind: 'process';
  pid: number;
  what: 'spawn' | 'exit' | 'stop' | 'cont';
  at: number;
  detail?: string;
}

/** What the driver did for one planned execution: its idempotency key and the id it got. */
export interface EnqueueRecord {
  kind: 'enqueue';
  key: string;
  workflowId: string;
  /** Poison workflows may fail; every other execution must complete. */
  mayFail: boolean;
  executionId?: string;
  /** Calls that rejected (or timed out) before one resolved. */
  rejections: number;
  at: number;
}

/** Any line of the suite's JSONL files. */
export type ChaosRecord =
  | InvocationRecord
  | EffectRecord
  | EventRecord
  | ProcessRecord
  | EnqueueRecord;

/** Appends one record to a JSONL file (synchronously: the line is in the file when this returns). */
export function appendRecord(file: string, record: ChaosRecord): void {
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/**
 * Every record of every `*.jsonl` file in `dir`. A torn last line (a process killed while
 * writing it) is skipped.
 */
export function readRecords(dir: string): ChaosRecord[] {
  const out: ChaosRecord[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl')) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as ChaosRecord);
      } catch {
        // a line cut short by SIGKILL
      }
    }
  }
  return out;
}

import type { LogEntry, NodeTelemetry, Span } from '@spane/core';
import { isoTime } from '@spane/core/internal';
import { SecretMask } from './node-secrets.js';
import type { NodeRef } from './sub-workflow-node.js';
import type { AttemptSpan } from './tracing.js';

/** How a span ends: `running` keeps it open (a delay or a sub-workflow waits). */
export type SpanStatus = 'ok' | 'error' | 'running';

/**
 * The span and log lines of one node attempt, kept in memory until they are written with
 * the attempt's outcome (or on their own when the attempt waits or is interrupted).
 */
export class AttemptTelemetry {
  readonly #executionId: string;
  readonly #nodeId: string;
  readonly #span: Span;
  #logs: LogEntry[] = [];
  #mask: SecretMask = SecretMask.none;
  /** The attempt's OpenTelemetry span (ended with the first close). */
  readonly otel: AttemptSpan | undefined;

  constructor(base: NodeRef, attempt: number, startedAt: Date, otel?: AttemptSpan) {
    this.otel = otel;
    this.#executionId = base.executionId;
    this.#nodeId = base.nodeId;
    this.#span = {
      spanId: spanId(base.executionId, base.nodeId, attempt),
      executionId: base.executionId,
      nodeId: base.nodeId,
      nodeType: base.nodeType,
      attempt,
      startedAt: isoTime(startedAt.getTime()),
      status: 'ok',
    };
  }

  /** From now on, log lines and the span's error have these secret values masked. */
  useMask(mask: SecretMask): void {
    this.#mask = mask;
  }

  /** `text` with the attempt's secret values masked (see {@link SecretMask}). */
  mask(text: string): string {
    return this.#mask.text(text);
  }

  /** Adds a log line of the attempt (stamped now), its secret values masked. */
  log(level: LogEntry['level'], message: string, meta?: Record<string, unknown>): void {
    const entry: LogEntry = {
      executionId: this.#executionId,
      nodeId: this.#nodeId,
      level,
      message: this.#mask.text(message),
      timestamp: isoTime(),
    };
    if (meta !== undefined) entry.meta = this.#mask.deep(meta) as Record<string, unknown>;
    this.#logs.push(entry);
  }

  /** The span as it ends now, with the log lines not taken yet. */
  close(status: SpanStatus, error?: string): NodeTelemetry {
    const span = this.#span;
    if (status !== 'running') span.finishedAt = isoTime();
    span.status = status;
    if (error !== undefined) span.error = this.#mask.text(error);
    const logs = this.#logs;
    this.#logs = [];
    this.otel?.end(status, span.error);
    return { span: { ...span }, logs };
  }
}

/** The closing span and log line of a sub-workflow node that was waiting for its child. */
export function waitingNodeTelemetry(
  base: NodeRef,
  attempt: number,
  startedAt: string,
  level: LogEntry['level'],
  message: string,
  error?: string,
): NodeTelemetry {
  const now = new Date().toISOString();
  const span: Span = {
    spanId: spanId(base.executionId, base.nodeId, attempt),
    executionId: base.executionId,
    nodeId: base.nodeId,
    nodeType: base.nodeType,
    attempt,
    startedAt,
    finishedAt: now,
    status: error === undefined ? 'ok' : 'error',
  };
  if (error !== undefined) span.error = error;
  return {
    span,
    logs: [{ executionId: base.executionId, nodeId: base.nodeId, level, message, timestamp: now }],
  };
}

/** A node attempt's span id. */
function spanId(executionId: string, nodeId: string, attempt: number): string {
  return `${executionId}.${nodeId}.${attempt}`;
}

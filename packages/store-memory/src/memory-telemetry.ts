import type { LogEntry, Span } from '@spane/core/store';
import { copy } from './json-copy.js';

/**
 * A log line as stored: its fields are strings but `meta`, which is deep-copied (cheaper
 * than a JSON round trip of the whole line on the hot path; reads copy through JSON).
 */
function copyLogEntry(entry: LogEntry): LogEntry {
  const stored = { ...entry };
  if (entry.meta !== undefined) stored.meta = copy(entry.meta);
  return stored;
}

/** Log lines and spans, per execution. */
export class MemoryTelemetry {
  readonly #logs = new Map<string, LogEntry[]>();
  readonly #spans = new Map<string, Map<string, Span>>();

  /** Appends lines to their executions' logs. */
  appendLogs(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      let list = this.#logs.get(entry.executionId);
      if (!list) {
        list = [];
        this.#logs.set(entry.executionId, list);
      }
      list.push(copyLogEntry(entry));
    }
  }

  /** An execution's log lines in the order appended, the first `limit` when given. */
  logs(executionId: string, limit: number | undefined): LogEntry[] {
    const list = this.#logs.get(executionId) ?? [];
    return copy(limit === undefined ? list : list.slice(0, limit));
  }

  /** Appends `logs`, then records the span (replacing one with its id). */
  recordSpan(span: Span, logs: readonly LogEntry[]): void {
    this.appendLogs(logs);
    let spans = this.#spans.get(span.executionId);
    if (!spans) {
      spans = new Map();
      this.#spans.set(span.executionId, spans);
    }
    // Every field of a span is a string or a number: a shallow copy is a full one.
    spans.set(span.spanId, { ...span });
  }

  /** An execution's spans by start time. */
  spans(executionId: string): Span[] {
    const spans = [...(this.#spans.get(executionId)?.values() ?? [])];
    return copy(spans.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)));
  }

  /** Forgets an execution's logs and spans. */
  delete(executionId: string): void {
    this.#logs.delete(executionId);
    this.#spans.delete(executionId);
  }
}

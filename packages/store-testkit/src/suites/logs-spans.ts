import { randomUUID } from 'node:crypto';
import type { ExecutionStore, LogEntry, Span } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan } from '../fixtures.js';
import { begin, saveAndCreate, uid, withMs } from '../helpers.js';
import type { SuiteContext } from '../types.js';

const at = (second: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, second)).toISOString();

const logsOf = (entries: LogEntry[]) => entries.map((e) => withMs(e, 'timestamp'));
const spansOf = (spans: Span[]) => spans.map((s) => withMs(s, 'startedAt', 'finishedAt'));

async function twoExecutions(store: ExecutionStore): Promise<[string, string]> {
  const plan = chainPlan(uid('wf'), 2);
  const a = (await saveAndCreate(store, plan)).execution.executionId;
  const b = (await store.createExecution({ plan })).execution.executionId;
  return [a, b];
}

function log(executionId: string, message: string, extra: Partial<LogEntry> = {}): LogEntry {
  return { executionId, level: 'info', message, timestamp: at(0), ...extra };
}

/** appendLogs / getLogs / recordSpan / getSpans. */
export function logsSpansSuite(ctx: SuiteContext): void {
  describe('logs-spans', () => {
    it('appendLogs keeps the append order per execution and separates executions', async () => {
      const store = ctx.store();
      const [a, b] = await twoExecutions(store);
      const a1 = log(a, 'a1', { timestamp: at(5), nodeId: 'A' });
      const a2 = log(a, 'a2', { timestamp: at(1), level: 'warn' });
      const a3 = log(a, 'a3', { timestamp: at(5), level: 'error', nodeId: 'B' });
      const b1 = log(b, 'b1', { level: 'debug' });
      const b2 = log(b, 'b2');
      await store.appendLogs([a1, b1, a2]);
      await store.appendLogs([]);
      await store.appendLogs([b2, a3]);
      const many = Array.from({ length: 30 }, (_, i) => log(a, `many-${i}`, { timestamp: at(9) }));
      await store.appendLogs(many);

      expect(logsOf(await store.getLogs(a))).toEqual(logsOf([a1, a2, a3, ...many]));
      expect(logsOf(await store.getLogs(b))).toEqual(logsOf([b1, b2]));
      expect(await store.getLogs(randomUUID())).toEqual([]);
    });

    it('log meta round-trips exactly', async () => {
      const store = ctx.store();
      const [a] = await twoExecutions(store);
      const meta = {
        zero: 0,
        no: false,
        empty: '',
        nothing: null,
        nested: { list: [1, '😀', { deep: [null] }] },
        text: '漢字 العربية "quoted" \\ back\nslash',
      };
      await store.appendLogs([
        log(a, 'with meta', { meta: structuredClone(meta) }),
        log(a, 'plain'),
      ]);
      const [withMeta, plain] = await store.getLogs(a);
      expect(withMeta?.meta).toStrictEqual(meta);
      expect(plain?.meta).toBeUndefined();
      expect(plain?.nodeId).toBeUndefined();
      expect(withMeta).toMatchObject({ executionId: a, level: 'info', message: 'with meta' });
    });

    it('getLogs returns at most limit lines, in append order', async () => {
      const store = ctx.store();
      const [a] = await twoExecutions(store);
      const lines = Array.from({ length: 10 }, (_, i) => log(a, `line-${i}`));
      await store.appendLogs(lines);
      const messages = lines.map((l) => l.message);

      const limited = (await store.getLogs(a, { limit: 3 })).map((l) => l.message);
      expect(limited).toHaveLength(3);
      // The interface does not say which end a limit keeps: accept the first or the last lines.
      expect([messages.slice(0, 3), messages.slice(7)]).toContainEqual(limited);
      expect((await store.getLogs(a, { limit: 50 })).map((l) => l.message)).toEqual(messages);
    });

    it('recordSpan inserts, then replaces the span with the same spanId', async () => {
      const store = ctx.store();
      const [a, b] = await twoExecutions(store);
      const spanId = uid('span');
      const started: Span = {
        spanId,
        executionId: a,
        nodeId: 'A',
        nodeType: 'testkit.noop',
        attempt: 1,
        startedAt: at(1),
        status: 'running',
      };
      await store.recordSpan(started);
      expect(spansOf(await store.getSpans(a))).toEqual(spansOf([started]));

      const ended: Span = { ...started, finishedAt: at(2), status: 'error', error: 'boom 😀' };
      await store.recordSpan(ended);
      expect(spansOf(await store.getSpans(a))).toEqual(spansOf([ended]));

      const ok: Span = { ...started, finishedAt: at(3), status: 'ok' };
      await store.recordSpan(ok);
      const [only, ...rest] = await store.getSpans(a);
      expect(rest).toEqual([]);
      expect(withMs(only!, 'startedAt', 'finishedAt')).toEqual(
        withMs(ok, 'startedAt', 'finishedAt'),
      );
      expect(only?.error, 'a replaced span keeps none of the old fields').toBeUndefined();
      expect(await store.getSpans(b)).toEqual([]);
    });

    it('recordSpan with log lines records both; the lines follow earlier ones in order', async () => {
      const store = ctx.store();
      const [a, b] = await twoExecutions(store);
      await store.appendLogs([log(a, 'before')]);
      const span: Span = {
        spanId: uid('span'),
        executionId: a,
        nodeId: 'A',
        nodeType: 'testkit.noop',
        attempt: 1,
        startedAt: at(1),
        finishedAt: at(2),
        status: 'ok',
      };
      const lines = [
        log(a, 'node started', { nodeId: 'A' }),
        log(a, 'from the executor', { nodeId: 'A', level: 'warn', meta: { n: 0, ok: false } }),
      ];
      await store.recordSpan(span, lines);
      expect(spansOf(await store.getSpans(a))).toEqual(spansOf([span]));
      expect(logsOf(await store.getLogs(a))).toEqual(logsOf([log(a, 'before'), ...lines]));
      expect(await store.getLogs(b)).toEqual([]);
      // No lines: only the span.
      await store.recordSpan({ ...span, status: 'error', error: 'x' }, []);
      expect(await store.getLogs(a)).toHaveLength(3);
    });

    it('completeNode with telemetry records the span and lines, recorded or not', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const a = (await saveAndCreate(store, plan)).execution.executionId;
      await begin(store, plan, a, 'A');
      const span = (attempt: number): Span => ({
        spanId: `${a}.A.${attempt}`,
        executionId: a,
        nodeId: 'A',
        nodeType: 'testkit.noop',
        attempt,
        startedAt: at(attempt),
        finishedAt: at(attempt + 1),
        status: 'ok',
      });
      const first = [log(a, 'A completed', { nodeId: 'A' })];
      const r = await store.completeNode(
        plan,
        a,
        'A',
        { type: 'completed', data: 1 },
        { span: span(1), logs: first },
      );
      expect(r).toMatchObject({ recorded: true, ready: ['B'] });
      expect(spansOf(await store.getSpans(a))).toEqual(spansOf([span(1)]));
      expect(logsOf(await store.getLogs(a))).toEqual(logsOf(first));
      // A duplicate completion is not recorded; its attempt's span and lines still are.
      const second = [log(a, 'A completed again', { nodeId: 'A' })];
      const again = await store.completeNode(
        plan,
        a,
        'A',
        { type: 'completed', data: 2 },
        { span: span(2), logs: second },
      );
      expect(again.recorded).toBe(false);
      expect(spansOf(await store.getSpans(a))).toEqual(spansOf([span(1), span(2)]));
      expect(logsOf(await store.getLogs(a))).toEqual(logsOf([...first, ...second]));
      expect((await store.getExecution(a))?.nodeResults.A?.data).toBe(1);
    });

    it('getSpans orders by start time and separates executions', async () => {
      const store = ctx.store();
      const [a, b] = await twoExecutions(store);
      const span = (executionId: string, nodeId: string, second: number): Span => ({
        spanId: uid('span'),
        executionId,
        nodeId,
        attempt: 1,
        startedAt: at(second),
        status: 'running',
      });
      const s3 = span(a, 'C', 30);
      const s1 = span(a, 'A', 10);
      const s2 = span(a, 'B', 20);
      const other = span(b, 'A', 15);
      for (const s of [s3, s1, other, s2]) await store.recordSpan(s);
      expect(spansOf(await store.getSpans(a))).toEqual(spansOf([s1, s2, s3]));
      expect(spansOf(await store.getSpans(b))).toEqual(spansOf([other]));
    });
  });
}

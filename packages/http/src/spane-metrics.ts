import type { EngineEventMap, IWorkflowEngine, QueueStats } from '@spane/core';
import { type Counter, type Gauge, type Histogram, Registry } from 'prom-client';
import { RecentEventIds } from './recent-event-ids.js';
import {
  defineBreakerMetrics,
  defineDependencyGauge,
  defineExecutionCounters,
  defineFaultCounters,
  defineHttpMetrics,
  defineNodeMetrics,
  defineQueueGauges,
  type ExecutionCounter,
  type ExecutionCounters,
  type NodeMetrics,
} from './spane-metric-definitions.js';
import { withTimeout } from './with-timeout.js';

/** Node starts remembered to time failed attempts (completions carry their own duration). */
const MAX_TRACKED_STARTS = 10_000;
/** Queue counts are read from Redis at most this often, however often Prometheus scrapes. */
const STATS_TTL_MS = 1_000;

/**
 * Prometheus metrics of one plugin instance, in a registry of its own. Execution and node
 * counters come from engine events (which every engine process on the same prefix
 * receives, so each API process counts the whole cluster: aggregate with `max`, not
 * `sum`); queue depths and the DLQ size are read from the engine at scrape time.
 *
 * The execution counters carry `tenant` and `workflow_id` labels; {@link render} shows a
 * caller only its own tenant's series. The other metrics name no tenant data.
 */
export class SpaneMetrics {
  /** Metrics without tenant labels. */
  readonly registry = new Registry();
  /** Counters labelled by tenant, rendered per caller (registered in no registry). */
  readonly #tenantCounters: Counter<'tenant' | 'workflow_id'>[] = [];
  readonly #offs: (() => void)[] = [];
  readonly #starts = new Map<string, number>();
  /** Events already counted (a repeat of an event is not counted again). */
  readonly #seen = new RecentEventIds();
  readonly #httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly #httpDuration: Histogram<'method' | 'route'>;
  readonly sseStreams: Gauge;
  #stats: { at: number; value: Promise<QueueStats | null> } | undefined;

  constructor(engine: IWorkflowEngine) {
    const executions = defineExecutionCounters();
    this.#tenantCounters.push(
      executions.started,
      executions.completed,
      executions.failed,
      executions.cancelled,
    );
    const nodes = defineNodeMetrics(this.registry);
    const http = defineHttpMetrics(this.registry);
    this.#httpRequests = http.requests;
    this.#httpDuration = http.duration;
    this.sseStreams = http.sseStreams;
    defineQueueGauges(this.registry, () => this.#queueStats(engine));
    defineFaultCounters(this.registry, () => engine.getFaultCounts());
    const transitions = defineBreakerMetrics(this.registry, () =>
      engine.getBreakerStates
        ? withTimeout(engine.getBreakerStates(), 2_000)
        : Promise.resolve(null),
    );
    defineDependencyGauge(this.registry, () => engine.dependencies?.status());
    this.#offs.push(
      engine.on('breaker:changed', (p) => {
        if (this.#seen.first(p.eventId)) transitions.inc({ node_type: p.nodeType, state: p.state });
      }),
      ...countExecutions(engine, executions, this.#seen),
      ...this.#observeNodes(engine, nodes),
    );
  }

  /** Counts one HTTP response. `route` is the route pattern (or `unmatched`), never the raw URL. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.#httpRequests.inc({ method, route, status_code: String(statusCode) });
    this.#httpDuration.observe({ method, route }, seconds);
  }

  /** The exposition text; with a tenant, only that tenant's execution series. */
  async render(tenantId?: string): Promise<string> {
    const parts = [await this.registry.metrics()];
    for (const counter of this.#tenantCounters) {
      const metric = await counter.get();
      const lines = [
        `# HELP ${metric.name} ${escapeHelp(metric.help)}`,
        `# TYPE ${metric.name} counter`,
      ];
      for (const { labels, value } of metric.values) {
        if (tenantId !== undefined && labels.tenant !== tenantId) continue;
        const text = Object.entries(labels)
          .map(([k, v]) => `${k}="${escapeLabel(String(v))}"`)
          .join(',');
        lines.push(`${metric.name}{${text}} ${value}`);
      }
      parts.push(`${lines.join('\n')}\n`);
    }
    return parts.join('\n');
  }

  /** The content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Removes the engine listeners. */
  close(): void {
    for (const off of this.#offs.splice(0)) off();
    this.#starts.clear();
  }

  /**
   * Counts node outcomes and times attempts, and counts a node failed for good on its
   * `final` `node:failed`; returns the listeners' removers.
   */
  #observeNodes(engine: IWorkflowEngine, { runs, duration, failed }: NodeMetrics): (() => void)[] {
    return [
      engine.on('node:started', (p) => this.#rememberStart(p)),
      engine.on('node:completed', (p) => {
        this.#starts.delete(attemptKey(p));
        if (!this.#seen.first(p.eventId)) return;
        const labels = { node_type: p.nodeType, status: 'completed' };
        runs.inc(labels);
        duration.observe(labels, p.durationMs / 1000);
      }),
      engine.on('node:failed', (p) => {
        if (!this.#seen.first(p.eventId)) return;
        const labels = { node_type: p.nodeType, status: 'failed' };
        runs.inc(labels);
        if (p.final) failed.inc({ node_type: p.nodeType });
        const startedAt = this.#starts.get(attemptKey(p));
        this.#starts.delete(attemptKey(p));
        if (startedAt !== undefined) {
          const ms = Date.parse(p.timestamp) - startedAt;
          if (Number.isFinite(ms) && ms >= 0) duration.observe(labels, ms / 1000);
        }
      }),
      engine.on('node:retrying', (p) => {
        this.#starts.delete(attemptKey(p));
        if (this.#seen.first(p.eventId)) runs.inc({ node_type: p.nodeType, status: 'retrying' });
      }),
      engine.on('node:skipped', (p) => {
        if (this.#seen.first(p.eventId)) runs.inc({ node_type: p.nodeType, status: 'skipped' });
      }),
    ];
  }

  #rememberStart(p: EngineEventMap['node:started']): void {
    const at = Date.parse(p.timestamp);
    if (!Number.isFinite(at)) return;
    if (this.#starts.size >= MAX_TRACKED_STARTS) {
      const oldest = this.#starts.keys().next().value;
      if (oldest !== undefined) this.#starts.delete(oldest);
    }
    this.#starts.set(attemptKey(p), at);
  }

  #queueStats(engine: IWorkflowEngine): Promise<QueueStats | null> {
    const now = Date.now();
    if (!this.#stats || now - this.#stats.at > STATS_TTL_MS) {
      // A scrape while Redis is down still answers, without the queue gauges (at once
      // when the dependency monitor knows it is down).
      const down = engine.dependencies?.status().redis === false;
      const stats = down ? Promise.resolve(null) : withTimeout(engine.getQueueStats(), 2_000);
      this.#stats = { at: now, value: stats };
    }
    return this.#stats.value;
  }
}

/** Counts the workflow lifecycle events by tenant and workflow; returns the listeners' removers. */
function countExecutions(
  engine: IWorkflowEngine,
  counters: ExecutionCounters,
  seen: RecentEventIds,
): (() => void)[] {
  const count =
    (counter: ExecutionCounter) =>
    (p: { eventId?: string; tenantId: string; workflowId: string }): void => {
      if (seen.first(p.eventId)) counter.inc({ tenant: p.tenantId, workflow_id: p.workflowId });
    };
  return [
    engine.on('workflow:started', count(counters.started)),
    engine.on('workflow:completed', count(counters.completed)),
    engine.on('workflow:failed', count(counters.failed)),
    engine.on('workflow:cancelled', count(counters.cancelled)),
  ];
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function attemptKey(p: { executionId: string; nodeId: string; attempt: number }): string {
  return `${p.executionId}\u0000${p.nodeId}\u0000${p.attempt}`;
}

import type { EngineEventMap, IWorkflowEngine, QueueStats } from '@spane/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Node starts remembered to time failed attempts (completions carry their own duration). */
const MAX_TRACKED_STARTS = 10_000;
/** Queue counts are read from Redis at most this often, however often Prometheus scrapes. */
const STATS_TTL_MS = 1_000;

type QueueState = Exclude<keyof QueueStats, 'dlq'>;
const QUEUE_STATES: readonly QueueState[] = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'paused',
  'completed',
  'failed',
];

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
  readonly #httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly #httpDuration: Histogram<'method' | 'route'>;
  readonly sseStreams: Gauge;
  #stats: { at: number; value: Promise<QueueStats | null> } | undefined;

  constructor(engine: IWorkflowEngine) {
    const registers = [this.registry];
    const executions = (status: string) => {
      const counter = new Counter({
        name: `spane_executions_${status}_total`,
        help: `Executions ${status}, by tenant and workflow`,
        labelNames: ['tenant', 'workflow_id'] as const,
        registers: [],
      });
      this.#tenantCounters.push(counter);
      return counter;
    };
    const started = executions('started');
    const completed = executions('completed');
    const failed = executions('failed');
    const cancelled = executions('cancelled');
    const nodeRuns = new Counter({
      name: 'spane_node_runs_total',
      help: 'Node attempts and skips, by node type and outcome (completed, failed, retrying, skipped)',
      labelNames: ['node_type', 'status'] as const,
      registers,
    });
    const nodeDuration = new Histogram({
      name: 'spane_node_duration_seconds',
      help: 'Duration of node attempts, by node type and outcome',
      labelNames: ['node_type', 'status'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#httpRequests = new Counter({
      name: 'spane_http_requests_total',
      help: 'HTTP requests served, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers,
    });
    this.#httpDuration = new Histogram({
      name: 'spane_http_request_duration_seconds',
      help: 'HTTP request duration, by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.sseStreams = new Gauge({
      name: 'spane_http_sse_streams',
      help: 'Open execution event streams',
      registers,
    });
    const stats = () => this.#queueStats(engine);
    new Gauge({
      name: 'spane_queue_jobs',
      help: 'Node jobs in the queue by state (read at scrape time)',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        this.reset();
        const s = await stats();
        if (s) for (const state of QUEUE_STATES) this.set({ state }, s[state]);
      },
    });
    new Gauge({
      name: 'spane_dlq_items',
      help: 'Items in the dead letter queue, all tenants (read at scrape time)',
      registers,
      async collect() {
        this.reset();
        const s = await stats();
        if (s) this.set(s.dlq);
      },
    });

    const execLabels = (p: { tenantId: string; workflowId: string }) => ({
      tenant: p.tenantId,
      workflow_id: p.workflowId,
    });
    this.#offs.push(
      engine.on('workflow:started', (p) => started.inc(execLabels(p))),
      engine.on('workflow:completed', (p) => completed.inc(execLabels(p))),
      engine.on('workflow:failed', (p) => failed.inc(execLabels(p))),
      engine.on('workflow:cancelled', (p) => cancelled.inc(execLabels(p))),
      engine.on('node:started', (p) => this.#rememberStart(p)),
      engine.on('node:completed', (p) => {
        this.#starts.delete(attemptKey(p));
        const labels = { node_type: p.nodeType, status: 'completed' };
        nodeRuns.inc(labels);
        nodeDuration.observe(labels, p.durationMs / 1000);
      }),
      engine.on('node:failed', (p) => {
        const labels = { node_type: p.nodeType, status: 'failed' };
        nodeRuns.inc(labels);
        const startedAt = this.#starts.get(attemptKey(p));
        this.#starts.delete(attemptKey(p));
        if (startedAt !== undefined) {
          const ms = Date.parse(p.timestamp) - startedAt;
          if (Number.isFinite(ms) && ms >= 0) nodeDuration.observe(labels, ms / 1000);
        }
      }),
      engine.on('node:retrying', (p) => {
        this.#starts.delete(attemptKey(p));
        nodeRuns.inc({ node_type: p.nodeType, status: 'retrying' });
      }),
      engine.on('node:skipped', (p) => nodeRuns.inc({ node_type: p.nodeType, status: 'skipped' })),
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
      // A scrape while Redis is down still answers, without the queue gauges.
      this.#stats = { at: now, value: withTimeout(engine.getQueueStats(), 2_000) };
    }
    return this.#stats.value;
  }
}

/** The value, or null when the promise rejects or takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
    );
  });
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

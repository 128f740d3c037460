import type { BreakerStatus, DependencyStatus, EngineFaultCounts, QueueStats } from '@spane/core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

type QueueState = Exclude<keyof QueueStats, 'dlq' | 'workers'>;
const QUEUE_STATES: readonly QueueState[] = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'paused',
  'completed',
  'failed',
];

/** A counter of executions labelled by tenant and workflow. */
export type ExecutionCounter = Counter<'tenant' | 'workflow_id'>;

/** The execution counters, one per lifecycle event counted. */
export interface ExecutionCounters {
  started: ExecutionCounter;
  completed: ExecutionCounter;
  failed: ExecutionCounter;
  cancelled: ExecutionCounter;
}

/** The metrics of node attempts, and of nodes that failed for good. */
export interface NodeMetrics {
  runs: Counter<'node_type' | 'status'>;
  duration: Histogram<'node_type' | 'status'>;
  failed: Counter<'node_type'>;
}

/** The metrics of the HTTP server itself. */
export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'status_code'>;
  duration: Histogram<'method' | 'route'>;
  sseStreams: Gauge;
}

/**
 * `spane_executions_<status>_total` for started, completed, failed and cancelled, in that
 * order. They are registered in no registry: they carry tenant labels and are rendered
 * per caller.
 */
export function defineExecutionCounters(): ExecutionCounters {
  const counter = (status: string): ExecutionCounter =>
    new Counter({
      name: `spane_executions_${status}_total`,
      help: `Executions ${status}, by tenant and workflow`,
      labelNames: ['tenant', 'workflow_id'] as const,
      registers: [],
    });
  return {
    started: counter('started'),
    completed: counter('completed'),
    failed: counter('failed'),
    cancelled: counter('cancelled'),
  };
}

/**
 * `spane_node_runs_total` and `spane_node_duration_seconds`, by node type and outcome (one
 * count per attempt), and `spane_nodes_failed_total`, by node type: nodes that failed for
 * good (their last attempt failed), one count per node whatever its attempts.
 */
export function defineNodeMetrics(registry: Registry): NodeMetrics {
  const registers = [registry];
  return {
    runs: new Counter({
      name: 'spane_node_runs_total',
      help: 'Node attempts and skips, by node type and outcome (completed, failed, retrying, skipped)',
      labelNames: ['node_type', 'status'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'spane_node_duration_seconds',
      help: 'Duration of node attempts, by node type and outcome',
      labelNames: ['node_type', 'status'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    failed: new Counter({
      name: 'spane_nodes_failed_total',
      help: 'Nodes that failed for good (no attempt follows), by node type',
      labelNames: ['node_type'] as const,
      registers,
    }),
  };
}

/** `spane_http_requests_total`, `spane_http_request_duration_seconds` and `spane_http_sse_streams`. */
export function defineHttpMetrics(registry: Registry): HttpMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'spane_http_requests_total',
      help: 'HTTP requests served, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'spane_http_request_duration_seconds',
      help: 'HTTP request duration, by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: HTTP_DURATION_BUCKETS,
      registers,
    }),
    sseStreams: new Gauge({
      name: 'spane_http_sse_streams',
      help: 'Open execution event streams',
      registers,
    }),
  };
}

/**
 * `spane_queue_jobs` (by state), `spane_dlq_items`, `spane_workers_live` and
 * `spane_workers_stuck`, read at scrape time from `stats`; when `stats` answers null (or
 * has no `workers`), the gauges are empty.
 */
export function defineQueueGauges(
  registry: Registry,
  stats: () => Promise<QueueStats | null>,
): void {
  const registers = [registry];
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
  const workerGauge = (name: string, help: string, field: 'live' | 'stuck') =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.reset();
        const workers = (await stats())?.workers;
        if (workers) this.set(workers[field]);
      },
    });
  workerGauge(
    'spane_workers_live',
    'Worker processes of the prefix with a live heartbeat (read at scrape time)',
    'live',
  );
  workerGauge(
    'spane_workers_stuck',
    'Live workers with a free slot that took no job for workerStuckAfterMs while jobs wait',
    'stuck',
  );
}

/**
 * `spane_infra_retries_total`, `spane_refused_outcomes_total` and `spane_lost_locks_total`:
 * the engine process's fault counters (`getFaultCounts`), read at scrape time.
 */
export function defineFaultCounters(registry: Registry, counts: () => EngineFaultCounts): void {
  const counters: [keyof EngineFaultCounts, string, string][] = [
    [
      'infraRetries',
      'spane_infra_retries_total',
      'Store and Redis calls of node runs retried after an infrastructure error',
    ],
    [
      'refusedOutcomes',
      'spane_refused_outcomes_total',
      'Node outcomes refused because another run held the node',
    ],
    [
      'lostLocks',
      'spane_lost_locks_total',
      "Node runs stopped because their worker lost the job's lock",
    ],
  ];
  for (const [field, name, help] of counters) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counts()[field]);
      },
    });
  }
}

/**
 * `spane_breaker_state` (1 for each node type's current breaker state, 0 for the others;
 * read at scrape time from `states`, empty when it answers null) and
 * `spane_breaker_transitions_total` (state changes, by node type and new state); returns
 * the counter, which the caller feeds from `breaker:changed` events.
 */
export function defineBreakerMetrics(
  registry: Registry,
  states: () => Promise<Record<string, BreakerStatus> | null>,
): Counter<'node_type' | 'state'> {
  new Gauge({
    name: 'spane_breaker_state',
    help: "Node types' circuit breakers: 1 for the current state (read at scrape time)",
    labelNames: ['node_type', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [type, status] of Object.entries((await states()) ?? {})) {
        for (const state of ['closed', 'open', 'half-open'] as const) {
          this.set({ node_type: type, state }, status.state === state ? 1 : 0);
        }
      }
    },
  });
  return new Counter({
    name: 'spane_breaker_transitions_total',
    help: 'Circuit breaker state changes, by node type and new state (from breaker:changed)',
    labelNames: ['node_type', 'state'] as const,
    registers: [registry],
  });
}

/**
 * `spane_dependency_up{dependency}`: 1 while Redis (`redis`) or the store (`store`) answers
 * the engine's dependency monitor, 0 while it is down; absent without a monitor.
 */
export function defineDependencyGauge(
  registry: Registry,
  status: () => DependencyStatus | undefined,
): void {
  new Gauge({
    name: 'spane_dependency_up',
    help: 'Whether Redis and the store answer the engine (1 up, 0 down)',
    labelNames: ['dependency'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const s = status();
      if (s)
        for (const dependency of ['redis', 'store'] as const)
          this.set({ dependency }, s[dependency] ? 1 : 0);
    },
  });
}

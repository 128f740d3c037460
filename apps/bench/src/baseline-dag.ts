import { randomUUID } from 'node:crypto';
import { type JobsOptions, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteKeys } from './measure.js';
import type { Runner, RunnerContext } from './runner.js';
import { checkSinks, makeNode, type Tally } from './workloads.js';

/**
 * The baseline: the thinnest correct DAG runner on raw BullMQ. One job per node. Per
 * execution, a Redis hash of pending-parent counters (plus `__left`, the nodes still to
 * finish) and a hash of node outputs. A finished node records its output and decrements
 * its children's counters in one Lua script, which hands back the children that reached
 * zero (they are enqueued) and, for the last node, the sink outputs (the execution's keys
 * are deleted there). A child with one parent gets that parent's output inline in its job
 * (no read); a join reads its parents' outputs from the hash with HMGET.
 *
 * Same queue settings as SPANE's node queue: job id `execution.node` (a second add is a
 * no-op), 3 attempts, `removeOnComplete`, failed jobs kept up to 1000, same lock and
 * stalled-check intervals as the engine's defaults.
 */

/**
 * KEYS: outputs hash, pending hash. ARGV: node, output JSON, child count, children…,
 * sink count, sinks…. Returns { ready children, done (0/1), sink outputs (when done) }.
 * Re-running a recorded node (a retry after a crash between the script and the enqueue)
 * decrements nothing and hands back the ready children that have not run yet.
 */
const RECORD_NODE = `
local first = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
local nc = tonumber(ARGV[3])
local ready = {}
for i = 1, nc do
  local child = ARGV[3 + i]
  local left
  if first == 1 then
    left = redis.call('HINCRBY', KEYS[2], child, -1)
  else
    left = tonumber(redis.call('HGET', KEYS[2], child) or '-1')
    if redis.call('HEXISTS', KEYS[1], child) == 1 then left = -1 end
  end
  if left == 0 then ready[#ready + 1] = child end
end
local done = 0
local sinks = {}
if first == 1 and redis.call('HINCRBY', KEYS[2], '__left', -1) == 0 then
  done = 1
  local ns = tonumber(ARGV[4 + nc])
  for i = 1, ns do sinks[i] = ARGV[4 + nc + i] end
  sinks = redis.call('HMGET', KEYS[1], unpack(sinks))
  redis.call('DEL', KEYS[1], KEYS[2])
end
return { ready, done, sinks }
`;

interface BaselineJob {
  /** execution id */
  e: string;
  /** node id */
  n: string;
  /** The output (JSON) of the node's only parent. */
  i?: string;
}

type RecordReply = [string[], number, (string | null)[]];

interface RedisWithRecord extends Redis {
  recordNode(
    outKey: string,
    pendingKey: string,
    ...args: (string | number)[]
  ): Promise<RecordReply>;
}

const QUEUE = 'nodes';
const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
};

export class BaselineDag implements Runner {
  readonly impl = 'baseline' as const;
  readonly prefix: string;
  readonly redis: RedisWithRecord;
  readonly tally: Tally = { runs: 0, problems: [] };
  readonly #ctx: RunnerContext;
  readonly #workerConnection: Redis;
  readonly #queue: Queue<BaselineJob>;
  #worker: Worker<BaselineJob> | undefined;
  readonly #waiting = new Map<string, { resolve(id: string): void; reject(e: Error): void }>();
  readonly #completed = new Set<string>();
  readonly #sinkProblems: string[] = [];

  private constructor(ctx: RunnerContext) {
    this.#ctx = ctx;
    this.prefix = ctx.prefix;
    this.redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null }) as RedisWithRecord;
    this.redis.defineCommand('recordNode', { numberOfKeys: 2, lua: RECORD_NODE });
    this.#workerConnection = this.redis.duplicate({ maxRetriesPerRequest: null });
    this.#queue = new Queue<BaselineJob>(QUEUE, { connection: this.redis, prefix: ctx.prefix });
  }

  /** A baseline runner with its worker started (`workload.concurrency` jobs at once). */
  static async start(ctx: RunnerContext): Promise<BaselineDag> {
    const dag = new BaselineDag(ctx);
    await dag.#startWorker();
    return dag;
  }

  #outKey(e: string): string {
    return `${this.prefix}:x:${e}:out`;
  }

  #pendingKey(e: string): string {
    return `${this.prefix}:x:${e}:pending`;
  }

  #job(e: string, n: string, parentOutput?: string) {
    const data: BaselineJob = parentOutput === undefined ? { e, n } : { e, n, i: parentOutput };
    return { name: 'node', data, opts: { ...JOB_OPTIONS, jobId: `${e}.${n}` } };
  }

  /** Adds the jobs of ready nodes; those with one parent carry `output`, that parent's. */
  async #enqueue(e: string, nodes: readonly string[], output?: string): Promise<void> {
    const { parents } = this.#ctx.workload.shape;
    const job = (n: string) =>
      this.#job(e, n, (parents.get(n)?.length ?? 0) === 1 ? output : undefined);
    if (nodes.length === 1) {
      const j = job(nodes[0]!);
      await this.#queue.add(j.name, j.data, j.opts);
    } else if (nodes.length > 1) {
      await this.#queue.addBulk(nodes.map(job));
    }
  }

  async #startWorker(): Promise<void> {
    const { workload } = this.#ctx;
    const { shape } = workload;
    const node = makeNode(workload, this.tally);
    const sinkArgs = [shape.sinks.length, ...shape.sinks];
    const worker = new Worker<BaselineJob>(
      QUEUE,
      async (job) => {
        const { e, n, i } = job.data;
        const parents = shape.parents.get(n) ?? [];
        const inputs: Record<string, unknown> = {};
        if (parents.length === 1 && i !== undefined) {
          inputs[parents[0]!] = JSON.parse(i);
        } else if (parents.length > 0) {
          const raw = await this.redis.hmget(this.#outKey(e), ...parents);
          parents.forEach((p, i) => {
            const v = raw[i];
            if (v !== null && v !== undefined) inputs[p] = JSON.parse(v);
          });
        }
        const output = JSON.stringify(node(n, inputs));
        const children = shape.children.get(n) ?? [];
        const [ready, done, sinks] = await this.redis.recordNode(
          this.#outKey(e),
          this.#pendingKey(e),
          n,
          output,
          children.length,
          ...children,
          ...sinkArgs,
        );
        await this.#enqueue(e, ready, output);
        if (done === 1) this.#finish(e, sinks);
      },
      {
        connection: this.#workerConnection,
        prefix: this.prefix,
        concurrency: workload.concurrency,
        lockDuration: 15_000,
        stalledInterval: 5_000,
        maxStalledCount: 10,
      },
    );
    worker.on('failed', (job, err) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      const waiter = this.#waiting.get(job.data.e);
      this.#waiting.delete(job.data.e);
      waiter?.reject(new Error(`node '${job.data.n}' failed: ${err.message}`));
    });
    worker.on('error', (err) => console.warn(`[baseline] worker error: ${err.message}`));
    this.#worker = worker;
    await worker.waitUntilReady();
  }

  #finish(e: string, rawSinks: (string | null)[]): void {
    const { shape } = this.#ctx.workload;
    const sinks: Record<string, unknown> = {};
    shape.sinks.forEach((s, i) => {
      const v = rawSinks[i];
      if (v !== null && v !== undefined) sinks[s] = JSON.parse(v);
    });
    const problems = checkSinks(shape, e, sinks);
    if (problems.length > 0 && this.#sinkProblems.length < 20) this.#sinkProblems.push(...problems);
    this.#completed.add(e);
    const waiter = this.#waiting.get(e);
    this.#waiting.delete(e);
    waiter?.resolve(e);
  }

  async execute(): Promise<string> {
    const e = randomUUID();
    const { shape } = this.#ctx.workload;
    const done = new Promise<string>((resolve, reject) => {
      this.#waiting.set(e, { resolve, reject });
    });
    const pending: Record<string, number> = { __left: shape.nodes.length };
    for (const n of shape.nodes) if (n.parents.length > 0) pending[n.id] = n.parents.length;
    await this.redis.hset(this.#pendingKey(e), pending);
    await this.#enqueue(e, shape.roots);
    return done;
  }

  async verify(executionIds: readonly string[]): Promise<string[]> {
    const missing = executionIds.filter((id) => !this.#completed.has(id));
    return [
      ...this.#sinkProblems,
      ...(missing.length > 0 ? [`${missing.length} executions never completed`] : []),
    ];
  }

  pending(): string[] {
    return [...this.#waiting.keys()];
  }

  async describe(executionIds: readonly string[]): Promise<string[]> {
    const lines: string[] = [];
    for (const e of executionIds.slice(0, 5)) {
      const pending = await this.redis.hgetall(this.#pendingKey(e));
      const outputs = await this.redis.hkeys(this.#outKey(e));
      lines.push(
        `baseline ${e}: pending ${JSON.stringify(pending)}; outputs [${outputs.join(',')}]`,
      );
    }
    const counts = await this.#queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    lines.push(`baseline queue: ${JSON.stringify(counts)}`);
    return lines;
  }

  async dropFinished(): Promise<void> {
    // Execution keys are deleted when the execution completes; only the ids kept for verify.
    this.#completed.clear();
  }

  async close(): Promise<void> {
    await this.#worker?.close();
    await this.#queue.close();
    await this.#workerConnection.quit().catch(() => this.#workerConnection.disconnect());
    await deleteKeys(this.redis, `${this.prefix}:*`);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

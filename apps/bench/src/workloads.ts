/**
 * The DAG shapes, the workloads built on them (full and `--quick` sizes), and the no-op
 * node every implementation runs: it returns `{ ok: true, n }` where `n` is 1 plus the sum
 * of its parents' `n`, so the sinks' `n` proves every parent output reached its child.
 */

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5';
export const WORKLOAD_IDS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W4', 'W5'];

/** One DAG: nodes in topological order with their parents, plus derived lookups. */
export interface Shape {
  id: string;
  nodes: readonly { id: string; parents: readonly string[] }[];
  parents: ReadonlyMap<string, readonly string[]>;
  children: ReadonlyMap<string, readonly string[]>;
  roots: readonly string[];
  sinks: readonly string[];
  /** The `n` each sink must output. */
  expectedSinkN: ReadonlyMap<string, number>;
}

export interface Workload {
  id: WorkloadId;
  title: string;
  shape: Shape;
  /** Executions measured (all waves together). */
  executions: number;
  /**
   * `sequential`: one execution after another (latency). `waves`: `executions / waves`
   * executions started at once, the next wave when the previous one finished.
   */
  mode: 'sequential' | 'waves';
  waves: number;
  /** Worker concurrency of every implementation. */
  concurrency: number;
  /** Bytes of padding in every node output (0: none). */
  payloadBytes: number;
  /** Which figure the ratio to the baseline compares. */
  ratio: 'p50' | 'throughput';
  /** Executions run (and discarded) before the clock starts, in one wave. */
  warmup: number;
  /** Whether memory must come back (the soak check). */
  soak: boolean;
}

export function buildShape(id: string, nodes: { id: string; parents: string[] }[]): Shape {
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const node of nodes) {
    parents.set(node.id, [...node.parents]);
    children.set(node.id, []);
  }
  for (const node of nodes) for (const p of node.parents) children.get(p)!.push(node.id);
  const n = new Map<string, number>();
  for (const node of nodes) n.set(node.id, 1 + node.parents.reduce((s, p) => s + n.get(p)!, 0));
  const sinks = nodes.filter((x) => children.get(x.id)!.length === 0).map((x) => x.id);
  return {
    id,
    nodes,
    parents,
    children,
    roots: nodes.filter((x) => x.parents.length === 0).map((x) => x.id),
    sinks,
    expectedSinkN: new Map(sinks.map((s) => [s, n.get(s)!])),
  };
}

/** N1 → N2 → … → Nlength. */
export function chain(length: number): Shape {
  return buildShape(
    `chain-${length}`,
    Array.from({ length }, (_, i) => ({ id: `N${i + 1}`, parents: i === 0 ? [] : [`N${i}`] })),
  );
}

/** A → B1..Bwidth → J (W2, W5, and W3 with a large width; W4 with width 3). */
export function fanOutIn(width: number, names = { from: 'A', mid: 'B', to: 'J' }): Shape {
  const mids = Array.from({ length: width }, (_, i) => `${names.mid}${i + 1}`);
  return buildShape(`fan-${width}`, [
    { id: names.from, parents: [] },
    ...mids.map((id) => ({ id, parents: [names.from] })),
    { id: names.to, parents: mids },
  ]);
}

/** The five workloads at full or `--quick` size. */
export function workloads(quick: boolean): Workload[] {
  const base = { payloadBytes: 0, soak: false };
  return [
    {
      ...base,
      id: 'W1',
      title: 'latency: 10-node chain, one execution at a time',
      shape: chain(10),
      executions: quick ? 20 : 200,
      mode: 'sequential',
      waves: 1,
      concurrency: 50,
      ratio: 'p50',
      warmup: 5,
    },
    {
      ...base,
      id: 'W2',
      title: 'throughput: A → B1..B8 → J, all started at once',
      shape: fanOutIn(8),
      executions: quick ? 50 : 1_000,
      mode: 'waves',
      waves: 1,
      concurrency: 50,
      ratio: 'throughput',
      warmup: 10,
    },
    {
      ...base,
      id: 'W3',
      title: `wide: one execution of 1 → ${quick ? 100 : 1_000} → 1`,
      shape: fanOutIn(quick ? 100 : 1_000, { from: 'S', mid: 'W', to: 'E' }),
      executions: 1,
      mode: 'waves',
      waves: 1,
      concurrency: 100,
      ratio: 'throughput',
      warmup: 1,
    },
    {
      ...base,
      id: 'W4',
      title: quick
        ? 'soak: 5-node diamond, 2 waves of 100'
        : 'soak: 5-node diamond, 10 waves of 1,000',
      shape: fanOutIn(3, { from: 'A', mid: 'M', to: 'Z' }),
      executions: quick ? 200 : 10_000,
      mode: 'waves',
      waves: quick ? 2 : 10,
      concurrency: 50,
      ratio: 'throughput',
      // One wave: memory "before" is measured at the process's working size.
      warmup: quick ? 100 : 1_000,
      soak: true,
    },
    {
      ...base,
      id: 'W5',
      title: 'payloads: W2 with 64 KiB outputs',
      shape: fanOutIn(8),
      executions: quick ? 20 : 1_000,
      mode: 'waves',
      waves: 1,
      concurrency: 50,
      payloadBytes: 64 * 1024,
      ratio: 'throughput',
      warmup: 10,
    },
  ];
}

/** Node runs and correctness problems seen by the executors of one implementation. */
export interface Tally {
  runs: number;
  problems: string[];
}

export interface NodeOutput {
  ok: true;
  n: number;
  pad?: string;
}

/**
 * The no-op node of a workload: checks it got exactly its parents' outputs (recording a
 * problem otherwise) and returns `{ ok: true, n }` (plus `pad` for payload workloads).
 */
export function makeNode(
  workload: Workload,
  tally: Tally,
): (nodeId: string, parentOutputs: Record<string, unknown>) => NodeOutput {
  const pad = workload.payloadBytes > 0 ? 'x'.repeat(workload.payloadBytes) : undefined;
  const { shape } = workload;
  return (nodeId, parentOutputs) => {
    tally.runs += 1;
    const expected = shape.parents.get(nodeId);
    let n = 1;
    if (!expected) {
      tally.problems.push(`node '${nodeId}' is not in shape ${shape.id}`);
    } else {
      const got = Object.keys(parentOutputs);
      if (got.length !== expected.length || !expected.every((p) => p in parentOutputs)) {
        if (tally.problems.length < 20) {
          tally.problems.push(
            `node '${nodeId}' saw inputs [${got.join(',')}], expected [${expected.join(',')}]`,
          );
        }
      }
      for (const p of expected) {
        const out = parentOutputs[p] as Partial<NodeOutput> | undefined;
        if (out?.ok !== true || typeof out.n !== 'number') {
          if (tally.problems.length < 20) {
            tally.problems.push(`node '${nodeId}' got a bad output from '${p}'`);
          }
        } else {
          n += out.n;
        }
        if (pad !== undefined && out?.pad?.length !== pad.length && tally.problems.length < 20) {
          tally.problems.push(`node '${nodeId}' got a truncated payload from '${p}'`);
        }
      }
    }
    return pad === undefined ? { ok: true, n } : { ok: true, n, pad };
  };
}

/** Problems with the sink outputs of one finished execution (empty when right). */
export function checkSinks(
  shape: Shape,
  executionId: string,
  sinks: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  for (const [sink, n] of shape.expectedSinkN) {
    const out = sinks[sink] as Partial<NodeOutput> | undefined;
    if (out?.ok !== true || out.n !== n) {
      problems.push(
        `execution ${executionId}: sink '${sink}' output n=${String(out?.n)}, expected ${n}`,
      );
    }
  }
  return problems;
}

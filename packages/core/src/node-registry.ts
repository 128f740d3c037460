import {
  InvalidArgumentError,
  NodeTypeAlreadyRegisteredError,
  NodeTypeNotRegisteredError,
} from './errors.js';
import type { INodeExecutor } from './executor.js';
import {
  compileJsonSchema,
  type JsonSchema,
  type JsonSchemaCheck,
  type SchemaProblem,
} from './json-schema-check.js';
import { MAX_TIMEOUT_MS } from './limits.js';
import { isRetryPolicy } from './retry-policy.js';
import type { RetryPolicy } from './workflow-schema.js';

export type { JsonSchema } from './json-schema-check.js';

/** What a node type is and accepts (its catalogue entry), and its limits and defaults, across all workers and processes. */
export interface NodeTypeOptions {
  /** One sentence for people choosing a node type (e.g. in a visual builder). */
  description?: string;
  /** JSON Schema of a node's `config`, checked for every node of this type at `registerWorkflow`. @defaultValue any config */
  config?: JsonSchema;
  /**
   * What the `config` schema cannot say, checked at `registerWorkflow` once a node's
   * config matches the schema (or, without one, always): each problem, with a JSON
   * pointer into the config, is reported as `INVALID_NODE_CONFIG`. Not part of the
   * catalogue entry. @defaultValue no further check
   */
  configProblems?: (config: Record<string, unknown>) => SchemaProblem[];
  /** JSON Schema of a node's `inputData`, checked before the executor runs (a mismatch fails the node, no retry). @defaultValue any input */
  input?: JsonSchema;
  /** JSON Schema of the data a successful run returns, checked after it (a mismatch fails the node, no retry). @defaultValue any output */
  output?: JsonSchema;
  /** At most `max` runs of this type start per `durationMs`, across all workers. @defaultValue no limit */
  rateLimit?: { max: number; durationMs: number };
  /** At most this many runs of this type at once, across all workers. @defaultValue no limit */
  concurrency?: number;
  /** Attempt timeout (ms, at most `MAX_TIMEOUT_MS`) of nodes of this type whose node and workflow `defaults` set none. @defaultValue none (no timeout) */
  timeoutMs?: number;
  /** Default retry policy for nodes of this type (a node's or workflow's own policy wins). @defaultValue the engine's `defaultRetry` */
  retry?: RetryPolicy;
  /**
   * Circuit breaker of this type, shared by every engine process of the prefix: opens when
   * at least `minimumRuns` attempts ended in the last `windowMs` and `failureRate` of them
   * failed (errors, timeouts, retryable `429`s); while open, this type's node jobs wait
   * delayed (not failed, holding no worker slot); after `openMs` one probe attempt runs,
   * and its success closes the breaker, its failure opens it again. @defaultValue no breaker
   */
  breaker?: BreakerOptions;
}

/** A node type's circuit breaker (see {@link NodeTypeOptions.breaker}). */
export interface BreakerOptions {
  /** The share of failed attempts (0 < rate ≤ 1) in the window that opens the breaker. */
  failureRate: number;
  /** Fewest attempts in the window before the rate is judged. */
  minimumRuns: number;
  /** How far back attempts count (ms, at most `MAX_TIMEOUT_MS`). */
  windowMs: number;
  /** How long the breaker stays open before a probe runs (ms, at most `MAX_TIMEOUT_MS`). */
  openMs: number;
}

/** A registered node type. */
export interface NodeTypeRegistration {
  /** The node type name. */
  type: string;
  /** Runs nodes of this type. */
  executor: INodeExecutor;
  /** The options given at registration. */
  options: Readonly<NodeTypeOptions>;
  /** The compiled `config`, `input` and `output` schemas (those the options declare). */
  checks: Readonly<NodeTypeChecks>;
}

/** The compiled schemas of a node type. */
export interface NodeTypeChecks {
  /** Checks a node's `config` (an absent config is checked as `{}`). */
  config?: JsonSchemaCheck;
  /** Checks a run's `inputData`. */
  input?: JsonSchemaCheck;
  /** Checks a successful run's output data. */
  output?: JsonSchemaCheck;
}

const SCHEMA_WORDS = {
  config: { root: 'config', key: 'option' },
  input: { root: 'input', key: 'property' },
  output: { root: 'output', key: 'property' },
} as const;

/**
 * Compiles the schemas `options` declares.
 * @throws InvalidArgumentError naming the schema that does not compile.
 */
function compileChecks(type: string, options: NodeTypeOptions): NodeTypeChecks {
  const checks: NodeTypeChecks = {};
  for (const part of ['config', 'input', 'output'] as const) {
    const schema = options[part];
    if (schema === undefined) continue;
    checks[part] = compileJsonSchema(schema, {
      label: `${part} schema of node type '${type}'`,
      words: SCHEMA_WORDS[part],
    });
  }
  if (options.configProblems) checks.config = withProblems(checks.config, options.configProblems);
  return checks;
}

/** `check` (any config when undefined), then — for a config it accepts — `more`. */
function withProblems(
  check: JsonSchemaCheck | undefined,
  more: (config: Record<string, unknown>) => SchemaProblem[],
): JsonSchemaCheck {
  return {
    schema: check?.schema ?? {},
    problems(value) {
      const problems = check?.problems(value) ?? [];
      if (problems.length > 0) return problems;
      const isRecord = typeof value === 'object' && value !== null && !Array.isArray(value);
      return isRecord ? more(value as Record<string, unknown>) : [];
    },
  };
}

const TYPE_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;

/** `String(v)`, except for objects (whose `toString` may be missing or throw). */
function show(v: unknown): string {
  return typeof v === 'object' && v !== null ? 'an object' : String(v);
}

function positiveInt(name: string, v: number | undefined, max = Number.MAX_SAFE_INTEGER): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${show(v)}`);
  }
  if (v !== undefined && v > max) {
    throw new InvalidArgumentError(`${name} must be at most ${max}, got ${show(v)}`);
  }
}

/** @throws InvalidArgumentError unless `breaker` is a valid {@link BreakerOptions}. */
function checkBreaker(type: string, breaker: BreakerOptions): void {
  if (typeof breaker !== 'object' || breaker === null || Array.isArray(breaker)) {
    throw new InvalidArgumentError(`breaker of '${type}' must be an object`);
  }
  const rate = breaker.failureRate;
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) {
    throw new InvalidArgumentError(
      `breaker.failureRate of '${type}' must be a number above 0 and at most 1, got ${show(rate)}`,
    );
  }
  positiveInt('breaker.minimumRuns', breaker.minimumRuns ?? Number.NaN, 1_000_000);
  positiveInt('breaker.windowMs', breaker.windowMs ?? Number.NaN, MAX_TIMEOUT_MS);
  positiveInt('breaker.openMs', breaker.openMs ?? Number.NaN, MAX_TIMEOUT_MS);
}

/** Maps node type names to executors and their options. */
export class NodeRegistry {
  readonly #types = new Map<string, NodeTypeRegistration>();

  /**
   * Registers an executor for a node type.
   * @throws NodeTypeAlreadyRegisteredError if the type is registered already.
   * The `config`, `input` and `output` schemas are compiled here, once.
   * @throws InvalidArgumentError for a bad type name, executor or option, or a schema that
   * is not a valid JSON Schema (draft 2020-12).
   */
  register(type: string, executor: INodeExecutor, options: NodeTypeOptions = {}): this {
    if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
      throw new InvalidArgumentError(
        `node type '${show(type)}' must be 1-128 characters of A-Z a-z 0-9 _ . : / -`,
      );
    }
    if (typeof executor?.execute !== 'function') {
      throw new InvalidArgumentError(`executor for '${type}' must have an execute(ctx) method`);
    }
    if (this.#types.has(type)) throw new NodeTypeAlreadyRegisteredError(type);
    positiveInt('concurrency', options.concurrency);
    positiveInt('timeoutMs', options.timeoutMs, MAX_TIMEOUT_MS);
    if (options.rateLimit !== undefined) {
      positiveInt('rateLimit.max', options.rateLimit?.max ?? Number.NaN);
      positiveInt('rateLimit.durationMs', options.rateLimit?.durationMs ?? Number.NaN);
    }
    if (options.breaker !== undefined) checkBreaker(type, options.breaker);
    if (options.retry !== undefined && !isRetryPolicy(options.retry)) {
      throw new InvalidArgumentError(
        `retry of '${type}' must be a retry policy (attempts 1-1000, backoff exponential|fixed, delays at most ${MAX_TIMEOUT_MS} ms)`,
      );
    }
    if (options.configProblems !== undefined && typeof options.configProblems !== 'function') {
      throw new InvalidArgumentError(`configProblems of '${type}' must be a function`);
    }
    if (options.description !== undefined && typeof options.description !== 'string') {
      throw new InvalidArgumentError(`description of '${type}' must be a string`);
    }
    const checks = Object.freeze(compileChecks(type, options));
    this.#types.set(type, { type, executor, options: Object.freeze({ ...options }), checks });
    return this;
  }

  /** The executor of a type. @throws NodeTypeNotRegisteredError */
  get(type: string): INodeExecutor {
    return this.getRegistration(type).executor;
  }

  /** The executor and options of a type. @throws NodeTypeNotRegisteredError */
  getRegistration(type: string): NodeTypeRegistration {
    const reg = this.#types.get(type);
    if (!reg) throw new NodeTypeNotRegisteredError(type);
    return reg;
  }

  /** Whether an executor is registered for `type`. */
  has(type: string): boolean {
    return this.#types.has(type);
  }

  /** Registered type names, in registration order. */
  types(): string[] {
    return [...this.#types.keys()];
  }
}

import {
  deletePath,
  getPath,
  hasPath,
  type INodeExecutor,
  NonRetryableError,
  parsePath,
  setPath,
} from '@spane/core';

/** Config of the `transform` node; each step is optional and they run in this order. */
export interface TransformConfig {
  /** Keep only these dotted paths (the result keeps their nesting). */
  pick?: string[];
  /** Move the value at each `from` path to its `to` path. */
  rename?: Record<string, string>;
  /** Set each path to a constant value. */
  set?: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readConfig(raw: Record<string, unknown>): TransformConfig {
  const config: TransformConfig = {};
  if (raw.pick !== undefined) {
    if (!Array.isArray(raw.pick) || !raw.pick.every((p) => typeof p === 'string')) {
      throw new NonRetryableError('transform: config.pick must be an array of dotted paths');
    }
    config.pick = raw.pick;
  }
  if (raw.rename !== undefined) {
    if (!isRecord(raw.rename) || !Object.values(raw.rename).every((p) => typeof p === 'string')) {
      throw new NonRetryableError('transform: config.rename must map paths to paths');
    }
    config.rename = raw.rename as Record<string, string>;
  }
  if (raw.set !== undefined) {
    if (!isRecord(raw.set)) throw new NonRetryableError('transform: config.set must be an object');
    config.set = raw.set;
  }
  return config;
}

/**
 * `transform`: reshapes `inputData` with `pick`, then `rename`, then `set` (dotted paths,
 * no code evaluation). Returns the result; the input is never changed.
 */
export const transformNode: INodeExecutor = {
  async execute(ctx) {
    const config = readConfig(ctx.nodeConfig ?? {});
    let result: unknown = ctx.inputData === undefined ? {} : structuredClone(ctx.inputData);

    if (config.pick) {
      const picked: Record<string, unknown> = {};
      for (const path of config.pick) {
        const keys = parsePath(path);
        if (hasPath(result, keys)) setPath(picked, keys, getPath(result, keys));
      }
      result = picked;
    }
    if (config.rename || config.set) {
      if (typeof result !== 'object' || result === null) {
        throw new NonRetryableError(
          `transform: rename and set need an object or array input, got ${result === null ? 'null' : typeof result}`,
        );
      }
      const target = result as Record<string, unknown>;
      for (const [from, to] of Object.entries(config.rename ?? {})) {
        const fromKeys = parsePath(from);
        const toKeys = parsePath(to);
        if (!hasPath(target, fromKeys)) continue;
        setPath(target, toKeys, deletePath(target, fromKeys));
      }
      for (const [path, value] of Object.entries(config.set ?? {})) {
        setPath(target, parsePath(path), structuredClone(value));
      }
    }
    return { success: true, data: result };
  },
};

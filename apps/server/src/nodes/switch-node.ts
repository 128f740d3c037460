import { getPath, type INodeExecutor, NonRetryableError, parsePath } from '@spane/core';

/** Config of the `switch` node. */
export interface SwitchConfig {
  /** Where the value is read: `input` (the whole `inputData`) or `input.<dotted path>`. */
  path: string;
  /** Value (compared as a string) → the children to run. */
  cases: Record<string, string[]>;
  /** Children to run when no case matches; none when absent. */
  default?: string[];
}

function isNodeList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((id) => typeof id === 'string');
}

function readConfig(raw: Record<string, unknown>): SwitchConfig {
  const { path, cases } = raw;
  if (typeof path !== 'string' || (path !== 'input' && !path.startsWith('input.'))) {
    throw new NonRetryableError("switch: config.path must be 'input' or start with 'input.'");
  }
  if (typeof cases !== 'object' || cases === null || Array.isArray(cases)) {
    throw new NonRetryableError('switch: config.cases must map values to lists of node ids');
  }
  for (const [value, targets] of Object.entries(cases)) {
    if (!isNodeList(targets)) {
      throw new NonRetryableError(`switch: config.cases['${value}'] must be a list of node ids`);
    }
  }
  if (raw.default !== undefined && !isNodeList(raw.default)) {
    throw new NonRetryableError('switch: config.default must be a list of node ids');
  }
  const config: SwitchConfig = { path, cases: cases as Record<string, string[]> };
  if (raw.default !== undefined) config.default = raw.default as string[];
  return config;
}

/** The value as the string a case is keyed by; objects as JSON; missing as undefined. */
function caseKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * `switch`: reads the value at `config.path` and selects the children of the matching
 * case (`nextNodes`), else `default`, else none; the other children are skipped. Returns
 * its `inputData` unchanged.
 */
export const switchNode: INodeExecutor = {
  async execute(ctx) {
    const config = readConfig(ctx.nodeConfig ?? {});
    const keys = config.path === 'input' ? [] : parsePath(config.path.slice('input.'.length));
    const key = caseKey(getPath(ctx.inputData, keys));
    const matched = key !== undefined && Object.hasOwn(config.cases, key);
    const nextNodes = matched ? config.cases[key]! : (config.default ?? []);
    return { success: true, data: ctx.inputData, nextNodes: [...nextNodes] };
  },
};

import { readablePathProblem, settablePathProblem } from './dotted-path.js';
import type { SchemaProblem } from './json-schema-check.js';

/** A JSON pointer segment for `key` (`~` and `/` escaped). */
function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * What the `transform` node's config schema cannot say, checked at registration: every
 * path of `pick`, `rename` (both sides) and `set` must be one the node can use — no empty
 * segment, no reserved key (`__proto__`, `constructor`, `prototype`) and no segment of
 * digits above `MAX_PATH_INDEX`. Each problem has a JSON pointer into the config (a
 * `rename` or `set` path is reported at its key's pointer).
 */
export function transformConfigProblems(config: Record<string, unknown>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const check = (path: unknown, pointer: string): void => {
    const problem = settablePathProblem(path);
    if (problem !== undefined) problems.push({ path: pointer, message: problem });
  };
  if (Array.isArray(config.pick)) {
    config.pick.forEach((path, i) => {
      check(path, `/pick/${i}`);
    });
  }
  if (isRecord(config.rename)) {
    for (const [from, to] of Object.entries(config.rename)) {
      check(from, `/rename/${pointerSegment(from)}`);
      check(to, `/rename/${pointerSegment(from)}`);
    }
  }
  if (isRecord(config.set)) {
    for (const path of Object.keys(config.set)) check(path, `/set/${pointerSegment(path)}`);
  }
  return problems;
}

/**
 * What the `switch` node's config schema cannot say, checked at registration: `path`
 * (`input` or `input.<dotted path>`) must be one the node can read — no reserved key
 * (`__proto__`, `constructor`, `prototype`) and no empty segment. The problem is reported at
 * `/path`.
 */
export function switchConfigProblems(config: Record<string, unknown>): SchemaProblem[] {
  const problem = readablePathProblem(config.path);
  return problem === undefined ? [] : [{ path: '/path', message: problem }];
}

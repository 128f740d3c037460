/**
 * Narrowing of a workflow definition not yet validated: the checks read raw JSON, so that
 * one call reports every problem, including those of parts the schema rejects.
 */

/** A JSON object: not null, not an array. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The strings of a list (others are the schema's to report), or undefined if not a list. */
export function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

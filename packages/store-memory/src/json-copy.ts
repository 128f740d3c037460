/** Deep copy through JSON, so stored data behaves as a database-backed store's would. */
export function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

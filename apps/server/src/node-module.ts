import { pathToFileURL } from 'node:url';
import type { NodeRegistry } from '@spane/core';

/** What a SPANE_NODES module exports by default. */
export type RegisterNodes = (registry: NodeRegistry) => void | Promise<void>;

/**
 * Imports the module at `path` and lets its default export register node types.
 * @throws Error with a message naming the module and what was wrong
 */
export async function loadNodeModule(path: string, registry: NodeRegistry): Promise<string[]> {
  const before = new Set(registry.types());
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw new Error(`SPANE_NODES: cannot import ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof module.default !== 'function') {
    throw new Error(
      `SPANE_NODES: ${path} must have a default export (registry) => void that registers node types`,
    );
  }
  try {
    await (module.default as RegisterNodes)(registry);
  } catch (err) {
    throw new Error(
      `SPANE_NODES: ${path} failed to register its node types: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return registry.types().filter((t) => !before.has(t));
}

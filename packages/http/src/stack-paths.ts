import { isAbsolute, relative } from 'node:path';
import type { DLQItem } from '@spane/core';

const FILE_URL = /^file:\/\//;
const NODE_MODULES = /[\\/]node_modules[\\/]/;
const WINDOWS_ABSOLUTE = /^[A-Za-z]:[\\/]/;

/**
 * A stack trace with its file paths made relative, so that it does not say where the
 * server is installed: an absolute path (or `file://` URL) that runs through a
 * `node_modules` directory is cut to start there (`node_modules/.pnpm/…`); any other
 * absolute path becomes relative to `root` (`dist/main.js`, `../lib/x.js`). Text that is
 * not an absolute path stays as it is.
 */
export function relativeStack(stack: string, root: string): string {
  // Token by token, in linear time whatever the message holds.
  return stack.replace(/[^\s()]+/g, (token) => {
    const path = token.replace(FILE_URL, '');
    const posix = isAbsolute(path);
    if (!posix && !WINDOWS_ABSOLUTE.test(path)) return token;
    const at = path.search(NODE_MODULES);
    if (at >= 0) return path.slice(at + 1);
    return posix ? relative(root, path) || '.' : token;
  });
}

/**
 * A DLQ item as a caller may see it: `admin` keys get the stack trace with relative paths
 * ({@link relativeStack}); other keys get the error message without the stack.
 */
export function dlqItemFor(item: DLQItem, withStack: boolean, root: string): DLQItem {
  const { stack, ...rest } = item;
  if (!withStack || stack === undefined) return rest;
  return { ...rest, stack: relativeStack(stack, root) };
}

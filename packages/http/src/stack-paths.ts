import type { DLQItem } from '@spane/core';

const ABSOLUTE = /^(?:file:\/\/)?(?:[A-Za-z]:)?[\\/]/;
const NODE_MODULES = /[\\/]node_modules[\\/]/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A stack trace with its file paths made relative: a path under `root` (with or without
 * `file://`) loses that prefix, and any other absolute path that runs through a
 * `node_modules` directory is cut to start there (`node_modules/.pnpm/…`), so that neither
 * says where the server is installed.
 */
export function relativeStack(stack: string, root: string): string {
  let out = stack;
  const base = root.replace(/[\\/]+$/, '');
  if (base !== '') {
    const prefix = new RegExp(`(?:file://)?${escapeRegExp(base)}[\\\\/]`, 'g');
    out = out.replace(prefix, '');
  }
  // Token by token (linear time whatever the message holds): `/abs/…/node_modules/x.js:1:2`,
  // POSIX or Windows, with or without `file://`.
  return out.replace(/[^\s()]+/g, (token) => {
    if (!ABSOLUTE.test(token)) return token;
    const at = token.search(NODE_MODULES);
    return at < 0 ? token : token.slice(at + 1);
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

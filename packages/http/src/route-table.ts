/**
 * The routes of the plugin (filled from fastify's `onRoute` hook), to tell a path that
 * exists under another method (405 with `Allow`) from one that does not exist (404).
 */
export class RouteTable {
  readonly #routes: { pattern: RegExp; methods: Set<string> }[] = [];
  readonly #byUrl = new Map<string, Set<string>>();

  add(url: string, methods: string | readonly string[]): void {
    let set = this.#byUrl.get(url);
    if (!set) {
      set = new Set();
      this.#byUrl.set(url, set);
      this.#routes.push({ pattern: toPattern(url), methods: set });
    }
    for (const m of typeof methods === 'string' ? [methods] : methods) set.add(m.toUpperCase());
  }

  /** Methods served at `path` (without query string); empty when no route matches it. */
  allowedMethods(path: string): string[] {
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      if (route.pattern.test(path)) for (const m of route.methods) allowed.add(m);
    }
    return [...allowed].sort();
  }
}

/** A find-my-way style URL (`/a/:id/b`, `/hooks/*`) as an anchored regular expression. */
function toPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

import { useEffect, useState } from 'preact/hooks';

/** A page of the inspector, parsed from the URL's hash (`#/executions/abc?node=x`). */
export type Route =
  | { page: 'workflows' }
  | { page: 'workflow'; workflowId: string; version?: string }
  | { page: 'executions'; query: URLSearchParams }
  | { page: 'execution'; executionId: string; nodeId?: string }
  | { page: 'queues' };

/** The route of a hash; anything unknown (broken percent-encoding too) is the workflows list. */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const q = text.indexOf('?');
  const path = q === -1 ? text : text.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : text.slice(q + 1));
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { page: 'workflows' };
  }
  const [head, id] = parts;
  if (head === 'workflows' && id) {
    const version = query.get('version');
    return version
      ? { page: 'workflow', workflowId: id, version }
      : { page: 'workflow', workflowId: id };
  }
  if (head === 'executions' && id) {
    const nodeId = query.get('node');
    return nodeId
      ? { page: 'execution', executionId: id, nodeId }
      : { page: 'execution', executionId: id };
  }
  if (head === 'executions') return { page: 'executions', query };
  if (head === 'queues') return { page: 'queues' };
  return { page: 'workflows' };
}

/** The hash of a route (the inverse of {@link parseRoute}). */
export function routeHash(route: Route): string {
  switch (route.page) {
    case 'workflows':
      return '#/workflows';
    case 'workflow':
      return `#/workflows/${encodeURIComponent(route.workflowId)}${route.version ? `?version=${encodeURIComponent(route.version)}` : ''}`;
    case 'executions': {
      const text = route.query.toString();
      return `#/executions${text ? `?${text}` : ''}`;
    }
    case 'execution':
      return `#/executions/${encodeURIComponent(route.executionId)}${route.nodeId ? `?node=${encodeURIComponent(route.nodeId)}` : ''}`;
    case 'queues':
      return '#/queues';
  }
}

/** Goes to a route (adds a history entry). */
export function navigate(route: Route): void {
  window.location.hash = routeHash(route);
}

/** The current route, following hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

import { describe, expect, it } from 'vitest';
import { parseRoute, type Route, routeHash } from '../src/app/router.js';

/** A route as plain data (the executions page's query as text), to compare. */
function plain(route: Route): unknown {
  return route.page === 'executions' ? { ...route, query: route.query.toString() } : route;
}

const ODD_ID = 'a/b?c#d%e f&g=h+é';

const ROUTES: Route[] = [
  { page: 'workflows' },
  { page: 'workflow', workflowId: 'orders' },
  { page: 'workflow', workflowId: 'orders', version: '3' },
  { page: 'workflow', workflowId: ODD_ID, version: 'v 2/&' },
  { page: 'executions', query: new URLSearchParams() },
  { page: 'executions', query: new URLSearchParams('workflowId=w&status=failed&status=running') },
  { page: 'executions', query: new URLSearchParams({ cursor: ODD_ID }) },
  { page: 'execution', executionId: 'e-1' },
  { page: 'execution', executionId: 'e-1', nodeId: 'fetch' },
  { page: 'execution', executionId: ODD_ID, nodeId: ODD_ID },
  { page: 'queues' },
];

describe('parseRoute / routeHash', () => {
  it.each(ROUTES.map((r) => [routeHash(r), r] as const))('%s round-trips', (hash, route) => {
    expect(hash.startsWith('#/')).toBe(true);
    expect(plain(parseRoute(hash))).toEqual(plain(route));
    expect(routeHash(parseRoute(hash))).toBe(hash);
  });

  it('writes the hash of each page', () => {
    expect(routeHash({ page: 'workflows' })).toBe('#/workflows');
    expect(routeHash({ page: 'queues' })).toBe('#/queues');
    expect(routeHash({ page: 'workflow', workflowId: 'w', version: '2' })).toBe(
      '#/workflows/w?version=2',
    );
    expect(routeHash({ page: 'execution', executionId: 'e', nodeId: 'n' })).toBe(
      '#/executions/e?node=n',
    );
    expect(routeHash({ page: 'executions', query: new URLSearchParams('status=failed') })).toBe(
      '#/executions?status=failed',
    );
    expect(routeHash({ page: 'executions', query: new URLSearchParams() })).toBe('#/executions');
  });

  it('encodes ids so that slashes, ? and # inside them stay in the id', () => {
    const hash = routeHash({ page: 'execution', executionId: 'x/y?z#w' });
    expect(hash).toBe('#/executions/x%2Fy%3Fz%23w');
    expect(parseRoute(hash)).toEqual({ page: 'execution', executionId: 'x/y?z#w' });
  });

  it('reads hashes written by hand', () => {
    expect(parseRoute('#/workflows/orders')).toEqual({ page: 'workflow', workflowId: 'orders' });
    expect(parseRoute('/executions/e1?node=a')).toEqual({
      page: 'execution',
      executionId: 'e1',
      nodeId: 'a',
    });
    expect(parseRoute('#/executions/e1/')).toEqual({ page: 'execution', executionId: 'e1' });
    expect(parseRoute('#//workflows//orders')).toEqual({ page: 'workflow', workflowId: 'orders' });
    expect(parseRoute('#/queues?x=1')).toEqual({ page: 'queues' });
    expect(parseRoute('#/workflows/w?version=')).toEqual({ page: 'workflow', workflowId: 'w' });
    expect(parseRoute('#/executions/e?node=')).toEqual({ page: 'execution', executionId: 'e' });
  });

  it('reads the query of the executions list', () => {
    const route = parseRoute('#/executions?status=failed&status=paused&cursor=c%2B1');
    expect(route.page).toBe('executions');
    if (route.page === 'executions') {
      expect(route.query.getAll('status')).toEqual(['failed', 'paused']);
      expect(route.query.get('cursor')).toBe('c+1');
    }
  });

  it.each(['', '#', '#/', '#/nope', '#/workflow/x', '#/Queues', '#/workflows?version=1', '#?a=b'])(
    'reads %j as the workflows list',
    (hash) => {
      expect(parseRoute(hash)).toEqual({ page: 'workflows' });
    },
  );

  it('reads a hash with broken percent-encoding as the workflows list instead of throwing', () => {
    for (const hash of ['#/executions/%E0%A4%A', '#/workflows/%', '#/%zz/x']) {
      expect(parseRoute(hash), hash).toEqual({ page: 'workflows' });
    }
  });
});

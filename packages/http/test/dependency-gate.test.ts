import { expect, it } from 'vitest';
import { dependenciesOf } from '../src/dependency-gate.js';

it('routes need nothing, the store, or Redis and the store', () => {
  expect(dependenciesOf('GET', '/health/ready')).toEqual([]);
  expect(dependenciesOf('GET', '/metrics')).toEqual([]);
  expect(dependenciesOf('GET', '/api/node-types')).toEqual([]);
  expect(dependenciesOf('GET', '/docs/json')).toEqual([]);
  for (const path of [
    '/api/workflows',
    '/api/workflows/:id',
    '/api/workflows/:id/versions',
    '/api/executions',
    '/api/executions/:id',
    '/api/executions/:id/logs',
    '/api/executions/:id/trace',
    '/api/dlq',
  ]) {
    expect(dependenciesOf('GET', path), path).toEqual(['store']);
  }
  expect(dependenciesOf('POST', '/api/keys')).toEqual(['store']);
  expect(dependenciesOf('PUT', '/api/secrets/:name')).toEqual(['store']);
  for (const [method, path] of [
    ['POST', '/api/workflows'],
    ['DELETE', '/api/workflows/:id'],
    ['POST', '/api/workflows/:id/execute'],
    ['POST', '/api/executions/bulk'],
    ['POST', '/api/executions/:id/cancel'],
    ['POST', '/api/executions/:id/signals/:name'],
    ['GET', '/api/executions/:id/events'],
    ['GET', '/api/executions/:id/explain'],
    ['GET', '/api/stats'],
    ['POST', '/api/dlq/:id/retry'],
    ['POST', '/api/webhooks/:tenant/*'],
  ] as const) {
    expect(dependenciesOf(method, path), `${method} ${path}`).toEqual(['redis', 'store']);
  }
});

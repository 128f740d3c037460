import {
  type DependencyName,
  DependencyUnavailableError,
  type DependencyWatch,
  isConnectionError,
} from '@spane/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

/** Routes of the API that read only the store (no Redis), by their path after any prefix. */
const STORE_READS = [
  /^\/api\/workflows(\/[^/]+(\/versions)?)?$/,
  /^\/api\/executions(\/[^/]+(\/logs|\/trace)?)?$/,
  /^\/api\/dlq$/,
];

/**
 * What a route of the API needs: nothing (health probes, `/metrics`, node types, docs,
 * the host's own routes), the store alone (reads of workflows, executions, logs, traces,
 * the DLQ; API keys; secrets), or Redis and the store (anything that starts, changes or
 * streams executions, registration, `/api/stats`, webhooks, an execution's explanation).
 */
export function dependenciesOf(method: string, path: string): DependencyName[] {
  if (!path.startsWith('/api/') || path === '/api/node-types') return [];
  if (path.startsWith('/api/keys') || path.startsWith('/api/secrets')) return ['store'];
  if ((method === 'GET' || method === 'HEAD') && STORE_READS.some((re) => re.test(path))) {
    return ['store'];
  }
  return ['redis', 'store'];
}

/** The 503 `UNAVAILABLE` of a request that needs `names` while they are down. */
function unavailable(
  watch: DependencyWatch,
  names: DependencyName[],
  cause?: unknown,
): DependencyUnavailableError {
  return new DependencyUnavailableError(names, watch.retryAfterSeconds, cause);
}

/** The parts of `needs` the watch says are down now. */
function downOf(watch: DependencyWatch, needs: DependencyName[]): DependencyName[] {
  const status = watch.status();
  return needs.filter((name) => !status[name]);
}

/**
 * A request still running this long asks the watch (`ensureFresh`) whether the parts it
 * needs answered since it began: a Redis frozen just after its last ping would otherwise
 * hold the request until the periodic ping times out.
 */
const STALL_PROBE_MS = 10;

/**
 * Rejects when one of `needs` goes down, or (with `ensureFresh`) when it has not answered
 * since `startedAt` once the request has run `STALL_PROBE_MS`; `off` removes both.
 */
function whenDown(
  watch: DependencyWatch,
  needs: DependencyName[],
  startedAt: number,
): { promise: Promise<never>; off: () => void } {
  let off = (): void => {};
  const promise = new Promise<never>((_resolve, reject) => {
    const unlisten = watch.onChange((name, up) => {
      if (!up && needs.includes(name)) reject(unavailable(watch, [name]));
    });
    const probe = setTimeout(() => {
      watch.ensureFresh?.(needs, undefined, startedAt).then((status) => {
        const down = needs.filter((name) => !status[name]);
        if (down.length > 0) reject(unavailable(watch, down));
      }, reject);
    }, STALL_PROBE_MS);
    probe.unref();
    off = () => {
      unlisten();
      clearTimeout(probe);
    };
  });
  return { promise, off };
}

type Handler = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Graceful degradation of the API's routes while Redis or the store is down (the engine's
 * `dependencies` monitor): called for each route as it is added (an `onRoute` hook). A
 * route that needs a part that is down answers 503 `UNAVAILABLE` with `Retry-After` at
 * once, before authentication; when the watch has `ensureFresh`, a part that has not
 * answered a ping lately is pinged first (a short, shared wait: a frozen Redis is refused
 * within the monitor's `dependencyWaitMs`, not after a full ping period; a request that
 * passed on a recent answer and still runs after `STALL_PROBE_MS` asks again whether the
 * parts answered since it began) (an `onRequest` hook: a stored API key lookup would wait on
 * the store); a request already running when a part it needs goes down is answered the
 * same way then (its engine call goes on in the background; its late result is dropped),
 * except event streams, which end by themselves. A call that fails on a lost connection
 * answers 503 too (see `toHttpErrorResponse`). Without a monitor only the latter applies.
 */
export function guardRoute(route: RouteOptions, watch: DependencyWatch | undefined): void {
  const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
  const prefix = (route as { prefix?: string }).prefix ?? '';
  const path = route.url.startsWith(prefix) ? route.url.slice(prefix.length) : route.url;
  const needs = dependenciesOf(method, path || '/');
  if (!watch || needs.length === 0) return;
  const check = async (): Promise<void> => {
    const status = watch.ensureFresh ? await watch.ensureFresh(needs) : watch.status();
    const down = needs.filter((name) => !status[name]);
    if (down.length > 0) throw unavailable(watch, down);
  };
  const hooks = route.onRequest;
  route.onRequest = [check, ...(hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks])];
  if (path.endsWith('/events')) return;
  const handler = route.handler as Handler;
  route.handler = async function guarded(this: FastifyInstance, request, reply) {
    const startedAt = Date.now();
    const down = downOf(watch, needs);
    if (down.length > 0) throw unavailable(watch, down);
    const guard = whenDown(watch, needs, startedAt);
    const run = Promise.resolve(handler.call(this, request, reply));
    try {
      return await Promise.race([run, guard.promise]);
    } catch (err) {
      if (isConnectionError(err)) throw unavailable(watch, needs, err);
      throw err;
    } finally {
      guard.off();
      run.catch(() => {});
      guard.promise.catch(() => {});
    }
  };
}

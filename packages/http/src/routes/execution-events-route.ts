import { PassThrough } from 'node:stream';
import {
  ENGINE_EVENT_NAMES,
  type EngineEventMap,
  type EngineEventName,
  type ExecutionState,
  isTerminalStatus,
} from '@spane/core';
import type { FastifyInstance } from 'fastify';
import { toHttpErrorResponse } from '../http-errors.js';
import { components, errorResponses, IdParams } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';
import { requireExecution } from '../tenant-guard.js';

const TERMINAL_EVENTS: ReadonlySet<EngineEventName> = new Set([
  'workflow:completed',
  'workflow:failed',
  'workflow:cancelled',
]);

/** Open event streams, so that closing the plugin ends them (a server cannot close under them). */
export class EventStreams {
  readonly #open = new Set<() => void>();
  readonly #onCount: (n: number) => void;

  constructor(onCount: (n: number) => void = () => {}) {
    this.#onCount = onCount;
  }

  add(end: () => void): () => void {
    this.#open.add(end);
    this.#onCount(this.#open.size);
    return () => {
      this.#open.delete(end);
      this.#onCount(this.#open.size);
    };
  }

  get size(): number {
    return this.#open.size;
  }

  endAll(): void {
    for (const end of [...this.#open]) end();
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * `GET /api/executions/:id/events`: Server-Sent Events. First `event: state` with the
 * current state, then every engine event of the execution (`event: node:completed`, …)
 * as it happens, and when the run ends, the terminal event followed by the final
 * `event: state`; then the stream closes. A stream of a run that has already ended sends
 * only its state. Listeners are removed when the client goes away.
 */
export function executionEventsRoute(
  app: FastifyInstance,
  { engine, auth, options }: RouteContext,
  streams: EventStreams,
): void {
  app.get<{ Params: IdParams }>(
    '/api/executions/:id/events',
    {
      // A HEAD would open a stream nobody reads.
      exposeHeadRoute: false,
      onRequest: auth.require('read'),
      schema: {
        tags: ['executions'],
        operationId: 'streamExecutionEvents',
        summary: 'Server-Sent Events of an execution until it ends',
        description:
          'Events: `state` (the ExecutionState; first and last), then the engine events of this execution (`workflow:*`, `node:*`) with their payloads. Comments (`: keep-alive`) keep the connection open. An event may repeat what the first state already shows.',
        security: BEARER,
        params: components.inline(IdParams),
        response: {
          200: {
            description: 'A text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const executionId = request.params.id;
      const tenantId = auth.tenantOf(request);
      const stream = new PassThrough();
      let live = false;
      let ended = false;
      const buffered: [EngineEventName, EngineEventMap[EngineEventName]][] = [];

      const write = (event: string, data: unknown): void => {
        if (!ended) stream.write(frame(event, data));
      };
      const cleanup = (): void => {
        if (ended) return;
        ended = true;
        for (const off of offs) off();
        clearInterval(heartbeat);
        untrack();
      };
      const end = (): void => {
        if (ended) return;
        cleanup();
        stream.end();
      };
      const finishWith = (state: ExecutionState | null): void => {
        if (state) write('state', state);
        end();
      };
      const readFinalState = (): void => {
        requireExecution(engine, executionId, { tenantId }).then(finishWith, (err: unknown) => {
          write('error', toHttpErrorResponse(err).body.error);
          end();
        });
      };
      const onEvent = (name: EngineEventName, payload: EngineEventMap[EngineEventName]): void => {
        if (ended) return;
        write(name, payload);
        if (TERMINAL_EVENTS.has(name)) {
          // No further event matters; the final state closes the stream.
          for (const off of offs.splice(0)) off();
          readFinalState();
        }
      };

      // Subscribe before reading the state, so nothing that happens in between is lost.
      const offs = ENGINE_EVENT_NAMES.map((name) =>
        engine.on(name, (payload) => {
          if (payload.executionId !== executionId) return;
          if (live) onEvent(name, payload);
          else buffered.push([name, payload]);
        }),
      );
      let state: ExecutionState;
      try {
        state = await requireExecution(engine, executionId, { tenantId });
      } catch (err) {
        for (const off of offs) off();
        throw err;
      }

      const untrack = streams.add(end);
      // A lost pub/sub message must not leave a stream open for ever: the keep-alive also
      // re-reads the state and closes the stream once the run has ended.
      const heartbeat = setInterval(() => {
        if (ended) return;
        stream.write(': keep-alive\n\n');
        // The light read (no node outputs); the whole state only once the run has ended.
        engine.getExecutionSummary(executionId, { tenantId }).then(
          (s) => {
            if (s && isTerminalStatus(s.status) && !ended) readFinalState();
          },
          () => {},
        );
      }, options.sseHeartbeatMs);
      heartbeat.unref();
      stream.on('close', cleanup);
      // The response's `close` (not the request's, which fires once its body is read)
      // tells that the client went away.
      reply.raw.on('close', () => {
        if (!ended) {
          cleanup();
          stream.destroy();
        }
      });

      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no');
      write('state', state);
      if (isTerminalStatus(state.status)) {
        end();
      } else {
        live = true;
        for (const [name, payload] of buffered.splice(0)) onEvent(name, payload);
      }
      return reply.send(stream);
    },
  );
}

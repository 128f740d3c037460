import type { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import {
  ENGINE_EVENT_NAMES,
  type EngineEventMap,
  type EngineEventName,
  type ExecutionState,
  type IWorkflowEngine,
  isTerminalStatus,
  type TenantScope,
} from '@spane/core';
import type { EventStreams } from './event-streams.js';
import { toHttpErrorResponse } from './http-errors.js';
import { requireExecution } from './tenant-guard.js';

const TERMINAL_EVENTS: ReadonlySet<EngineEventName> = new Set([
  'workflow:completed',
  'workflow:failed',
  'workflow:cancelled',
]);

type EngineEvent = [EngineEventName, EngineEventMap[EngineEventName]];

/** What an {@link ExecutionEventStream} needs: the engine calls it makes and where it is tracked. */
export interface ExecutionEventStreamContext {
  engine: Pick<IWorkflowEngine, 'on' | 'getExecution' | 'getExecutionSummary'>;
  executionId: string;
  /** The caller's tenant; another tenant's execution reads as missing. */
  scope: TenantScope;
  /** Interval of the keep-alive comment and of the state re-check behind it. */
  heartbeatMs: number;
  /** The plugin's open streams, which closing the plugin ends. */
  streams: Pick<EventStreams, 'add'>;
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The Server-Sent Events body of one execution: `event: state` with the current state,
 * then every engine event of the execution as it happens, and when the run ends the
 * terminal event followed by the final `event: state`; then the body ends. A run that has
 * already ended sends only its state.
 *
 * Its life: {@link open} subscribes to the engine before reading the state (events of the
 * meantime are buffered, then replayed after the state), keeps the connection alive with
 * a heartbeat that also notices a run that ended unseen, and cleans up (listeners, timer,
 * tracking) once, whether the run ends, the client goes away or the plugin closes.
 */
export class ExecutionEventStream {
  /** The `text/event-stream` body to send. */
  readonly body = new PassThrough();
  readonly #ctx: ExecutionEventStreamContext;
  readonly #buffered: EngineEvent[] = [];
  #offs: (() => void)[] = [];
  #live = false;
  #ended = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #untrack: () => void = () => {};

  constructor(ctx: ExecutionEventStreamContext) {
    this.#ctx = ctx;
  }

  /**
   * Subscribes, reads the state and starts the stream; `response` is the raw HTTP
   * response, whose `close` tells that the client went away.
   * @throws ExecutionNotFoundError (or the engine's error) before anything is written;
   *   the listeners are removed then.
   */
  async open(response: Pick<EventEmitter, 'on'>): Promise<void> {
    // Subscribe before reading the state, so nothing that happens in between is lost.
    this.#subscribe();
    let state: ExecutionState;
    try {
      state = await requireExecution(this.#ctx.engine, this.#ctx.executionId, this.#ctx.scope);
    } catch (err) {
      this.#unsubscribe();
      throw err;
    }
    this.#track(response);
    this.#write('state', state);
    if (isTerminalStatus(state.status)) {
      this.end();
    } else {
      this.#live = true;
      for (const [name, payload] of this.#buffered.splice(0)) this.#onEvent(name, payload);
    }
  }

  /** Ends the body (once) after cleaning up. */
  end(): void {
    if (this.#ended) return;
    this.#cleanup();
    this.body.end();
  }

  #subscribe(): void {
    const { engine, executionId } = this.#ctx;
    this.#offs = ENGINE_EVENT_NAMES.map((name) =>
      engine.on(name, (payload) => {
        if (payload.executionId !== executionId) return;
        if (this.#live) this.#onEvent(name, payload);
        else this.#buffered.push([name, payload]);
      }),
    );
  }

  #unsubscribe(): void {
    for (const off of this.#offs.splice(0)) off();
  }

  /** Heartbeat, plugin tracking, and the two ways the connection can go away. */
  #track(response: Pick<EventEmitter, 'on'>): void {
    this.#untrack = this.#ctx.streams.add(() => this.end());
    // A lost pub/sub message must not leave a stream open for ever: the keep-alive also
    // re-reads the state and closes the stream once the run has ended.
    this.#heartbeat = setInterval(() => this.#beat(), this.#ctx.heartbeatMs);
    this.#heartbeat.unref();
    this.body.on('close', () => this.#cleanup());
    // The response's `close` (not the request's, which fires once its body is read)
    // tells that the client went away.
    response.on('close', () => {
      if (!this.#ended) {
        this.#cleanup();
        this.body.destroy();
      }
    });
  }

  #beat(): void {
    if (this.#ended) return;
    this.body.write(': keep-alive\n\n');
    // The light read (no node outputs); the whole state only once the run has ended.
    this.#ctx.engine.getExecutionSummary(this.#ctx.executionId, this.#ctx.scope).then(
      (s) => {
        if (s && isTerminalStatus(s.status) && !this.#ended) this.#readFinalState();
      },
      () => {},
    );
  }

  #onEvent(name: EngineEventName, payload: EngineEventMap[EngineEventName]): void {
    if (this.#ended) return;
    this.#write(name, payload);
    if (TERMINAL_EVENTS.has(name)) {
      // No further event matters; the final state closes the stream.
      this.#unsubscribe();
      this.#readFinalState();
    }
  }

  #readFinalState(): void {
    const { engine, executionId, scope } = this.#ctx;
    requireExecution(engine, executionId, scope).then(
      (state) => {
        this.#write('state', state);
        this.end();
      },
      (err: unknown) => {
        this.#write('error', toHttpErrorResponse(err).body.error);
        this.end();
      },
    );
  }

  #write(event: string, data: unknown): void {
    if (!this.#ended) this.body.write(frame(event, data));
  }

  #cleanup(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#unsubscribe();
    clearInterval(this.#heartbeat);
    this.#untrack();
  }
}

import { type ChildProcess, fork } from 'node:child_process';

/**
 * Node.js flags for every child process besides the bench's own (`BENCH_NODE_FLAGS`,
 * space-separated), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile each
 * implementation's process (NODE_OPTIONS refuses `--cpu-prof`).
 */
const EXTRA_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');

/**
 * A child process of the bench (a TypeScript entry run with tsx, `--expose-gc`) and the
 * replies it sends over IPC (structured clone: Maps survive), awaited one kind at a time.
 * An `error` reply, or the child's exit, fails every wait then and later.
 */
export class ChildProcessLink<C, R extends { kind: string } | { kind: 'error'; message: string }> {
  readonly child: ChildProcess;
  readonly #waiters = new Map<string, (reply: R | { kind: 'error'; message: string }) => void>();
  #failed: Error | undefined;

  constructor(entry: string, env: Record<string, string>) {
    this.child = fork(entry, [], {
      env: { ...process.env, ...env },
      execArgv: ['--expose-gc', '--conditions=@spane/source', '--import', 'tsx', ...EXTRA_FLAGS],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: R) => {
      if (reply.kind === 'error') {
        this.#fail(new Error(`bench process: ${(reply as { message: string }).message}`));
      }
      this.#waiters.get(reply.kind)?.(reply);
    });
    this.child.on('exit', (code) => this.#fail(new Error(`bench process exited (${code})`)));
    // E.g. a send to a child that just went: fails the waits instead of crashing this process.
    this.child.on('error', (err) => this.#fail(err));
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const resolve of this.#waiters.values()) {
      resolve({ kind: 'error', message: error.message });
    }
  }

  /** Sends `command` (if any) and resolves with the next reply of `kind`. */
  ask<K extends R['kind']>(
    kind: K,
    command?: C,
    timeoutMs = 30_000,
  ): Promise<Extract<R, { kind: K }>> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      const timer = setTimeout(
        () => reject(new Error(`no '${kind}' from a bench process`)),
        timeoutMs,
      );
      this.#waiters.set(kind, (reply) => {
        clearTimeout(timer);
        this.#waiters.delete(kind);
        if (reply.kind === 'error') reject(new Error((reply as { message: string }).message));
        else resolve(reply as Extract<R, { kind: K }>);
      });
      if (command !== undefined) this.child.send(command as object);
    });
  }
}

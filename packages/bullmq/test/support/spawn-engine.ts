import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { REDIS_URL } from './engine-harness.js';
import { DATABASE_URL } from './test-store.js';

const script = fileURLToPath(new URL('./engine-process.ts', import.meta.url));

/** A child engine process started by a test, stopped by its PID. */
export interface EngineProcess {
  pid: number;
  child: ChildProcess;
  /** Resolves with the first stdout line that starts with `prefix`. */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function spawnEngine(env: {
  prefix: string;
  schema: string;
  hang?: boolean;
  stepMs?: number;
  concurrency?: number;
  /** The process SIGKILLs itself right after the store recorded this node's outcome. */
  dieAfterCommit?: string;
  /** Wait for its `ready` line (default); false for a process that may exit before it. */
  ready?: boolean;
}): Promise<EngineProcess> {
  const child = spawn(process.execPath, ['--conditions=@spane/source', '--import', 'tsx', script], {
    env: {
      ...process.env,
      REDIS_URL,
      DATABASE_URL,
      SPANE_PREFIX: env.prefix,
      SPANE_SCHEMA: env.schema,
      SPANE_HANG: env.hang ? '1' : '0',
      SPANE_STEP_MS: String(env.stepMs ?? 0),
      SPANE_CONCURRENCY: String(env.concurrency ?? 4),
      SPANE_DIE_AFTER_COMMIT: env.dieAfterCommit ?? '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) {
      if (l.startsWith(w.prefix)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  const proc: EngineProcess = {
    pid: child.pid!,
    child,
    line(prefix, timeoutMs = 20_000) {
      const seen = lines.find((l) => l.startsWith(prefix));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`engine process: no '${prefix}' line`)),
          timeoutMs,
        );
        waiters.push({
          prefix,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        child.once('exit', (code) =>
          reject(new Error(`engine process exited (${code}) before '${prefix}'`)),
        );
      });
    },
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
  if (env.ready !== false) await proc.line('ready');
  return proc;
}

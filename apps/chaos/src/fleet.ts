/**
 * The engine worker processes of one scenario and their supervisor: a worker that exits
 * for any reason is started again after `respawnMs` (as an orchestrator would), until
 * `stop()`. Every spawn, exit, SIGSTOP and SIGCONT is appended to the supervisor's JSONL
 * file. Only PIDs this module spawned are ever signalled.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { appendRecord } from './records.js';

const script = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const appDir = fileURLToPath(new URL('..', import.meta.url));

/** What every worker of a fleet gets. */
export interface FleetConfig {
  size: number;
  redisUrl: string;
  databaseUrl: string;
  prefix: string;
  schema: string;
  recordsDir: string;
  concurrency: number;
  lockMs: number;
  stalledMs: number;
  reconcileMs: number;
  /** Heap limit of each worker (MB), so an OOM node kills only its worker, quickly. */
  maxOldSpaceMb: number;
  respawnMs: number;
}

/** The running fleet. */
export interface Fleet {
  /** PIDs of the workers alive now. */
  pids(): number[];
  /** Sends `signal` to one live worker (by its PID); records stops and continues. */
  signal(pid: number, signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT'): void;
  /** Resolves when every slot has a live worker that printed `ready`. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGCONT any stopped worker, SIGTERM all, SIGKILL what is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

interface Slot {
  child?: ChildProcess;
  ready: boolean;
  stopped: boolean;
}

/** Starts `config.size` workers and supervises them. */
export function startFleet(config: FleetConfig): Fleet {
  const supervisorFile = join(config.recordsDir, 'supervisor.jsonl');
  const slots: Slot[] = Array.from({ length: config.size }, () => ({
    ready: false,
    stopped: false,
  }));
  let stopping = false;
  const stderr = openSync(join(config.recordsDir, 'workers.stderr'), 'a');
  const launch = (slot: Slot) => {
    const child = spawn(
      process.execPath,
      [
        `--max-old-space-size=${config.maxOldSpaceMb}`,
        '--conditions=@spane/source',
        '--import',
        'tsx',
        script,
      ],
      {
        cwd: appDir,
        env: {
          ...process.env,
          CHAOS_REDIS_URL: config.redisUrl,
          CHAOS_DATABASE_URL: config.databaseUrl,
          CHAOS_PREFIX: config.prefix,
          CHAOS_SCHEMA: config.schema,
          CHAOS_RECORDS_DIR: config.recordsDir,
          CHAOS_CONCURRENCY: String(config.concurrency),
          CHAOS_LOCK_MS: String(config.lockMs),
          CHAOS_STALLED_MS: String(config.stalledMs),
          CHAOS_RECONCILE_MS: String(config.reconcileMs),
        },
        stdio: ['ignore', 'pipe', stderr],
      },
    );
    slot.child = child;
    slot.ready = false;
    slot.stopped = false;
    const pid = child.pid ?? 0;
    appendRecord(supervisorFile, { kind: 'process', pid, what: 'spawn', at: Date.now() });
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l === 'ready') slot.ready = true;
    });
    child.on('exit', (code, sig) => {
      appendRecord(supervisorFile, {
        kind: 'process',
        pid,
        what: 'exit',
        at: Date.now(),
        detail: sig ?? `code ${code}`,
      });
      if (slot.child === child) slot.child = undefined;
      if (!stopping) setTimeout(() => !stopping && !slot.child && launch(slot), config.respawnMs);
    });
  };
  slots.forEach(launch);
  const live = (s: Slot) => s.child && s.child.exitCode === null && s.child.signalCode === null;
  return {
    pids: () => slots.filter(live).map((s) => s.child!.pid!),
    signal(pid, signal) {
      const slot = slots.find((s) => live(s) && s.child!.pid === pid);
      if (!slot) return;
      if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
        slot.stopped = signal === 'SIGSTOP';
        appendRecord(supervisorFile, {
          kind: 'process',
          pid,
          what: signal === 'SIGSTOP' ? 'stop' : 'cont',
          at: Date.now(),
        });
      }
      slot.child!.kill(signal);
    },
    async ready(timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      while (!slots.every((s) => live(s) && s.ready)) {
        if (Date.now() > deadline) throw new Error(`workers not ready within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(graceMs = 8_000) {
      stopping = true;
      const children = slots.filter(live).map((s) => {
        if (s.stopped) s.child!.kill('SIGCONT');
        return s.child!;
      });
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const exited = once(c, 'exit');
          c.kill('SIGTERM');
          const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

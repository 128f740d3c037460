/**
 * One implementation's process (see runBench): runs the repetitions it is sent with runOne
 * and replies with each one's figures — so that no implementation runs on code that
 * another one made hot, or shares its heap. Exits when told to, or when its parent goes.
 */
import { type RepResult, type RunOneOptions, runOne, warmProcess } from './run.js';
import { IMPL_NAMES, type ImplName } from './runner.js';
import type { Workload } from './workloads.js';

/** What the parent sends. */
export type ImplCommand =
  | { cmd: 'run'; workload: Workload; rep: number; options: RunOneOptions }
  | { cmd: 'warm'; executions: number; options: RunOneOptions }
  | { cmd: 'close' };

/** What an implementation's process sends. */
export type ImplReply =
  | { kind: 'result'; result: RepResult }
  | { kind: 'warmed'; problems: string[] }
  | { kind: 'error'; message: string };

const impl = process.env.BENCH_IMPL as ImplName;
if (!IMPL_NAMES.includes(impl)) throw new Error(`BENCH_IMPL: one of ${IMPL_NAMES.join(', ')}`);

const send = (reply: ImplReply) => process.send?.(reply);
process.on('disconnect', () => process.exit());
process.on('message', (command: ImplCommand) => {
  if (command.cmd === 'close') {
    process.disconnect?.();
    return;
  }
  if (command.cmd === 'warm') {
    warmProcess(impl, command.executions, command.options).then(
      (problems) => send({ kind: 'warmed', problems }),
      (err: Error) => send({ kind: 'error', message: err.stack ?? err.message }),
    );
    return;
  }
  runOne(command.workload, impl, command.rep, command.options).then(
    (result) => send({ kind: 'result', result }),
    (err: Error) => send({ kind: 'error', message: err.stack ?? err.message }),
  );
});

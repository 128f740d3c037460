/**
 * One scale-out configuration's set-up in a process of its own for a session (see
 * scale.ts): reads its request from `SCALE_RUN` (JSON), starts the set-up — this process as
 * its API process — and says `ready`; then, on the parent's commands, warms it (`warmed`),
 * measures a repetition (`result`), and closes it (`closed`) and exits. An error is sent to
 * the parent, and the process exits.
 */
import { SCALE_CONFIGS, type ScaleRunRequest, scaleOptionsOf } from './scale.js';
import { ScaleSetUp } from './scale-setup.js';
import type { ScaleReply, SetUpCommand } from './scale-worker.js';

function send(reply: ScaleReply): Promise<void> {
  return new Promise((resolve) => process.send?.(reply, () => resolve()) ?? resolve());
}

function fail(err: Error): Promise<never> {
  return send({ kind: 'error', message: err.stack ?? err.message }).then(() => process.exit(1));
}

// Its parent went: the set-up is of no use (its worker processes follow it).
process.on('disconnect', () => process.exit());

async function answer(setUp: ScaleSetUp, command: SetUpCommand): Promise<void> {
  switch (command.cmd) {
    case 'warm':
      return send({ kind: 'warmed', problems: await setUp.warm() });
    case 'measure':
      return send({ kind: 'result', result: await setUp.measure(command.rep) });
    case 'close': {
      const problems = await setUp.close();
      await send({ kind: 'closed', problems });
      process.exit();
    }
  }
}

async function main(): Promise<void> {
  const request = JSON.parse(process.env.SCALE_RUN ?? '') as ScaleRunRequest;
  const config = SCALE_CONFIGS[request.config];
  if (!config) throw new Error(`unknown configuration ${request.config}`);
  const setUp = await ScaleSetUp.open(config, request.session, scaleOptionsOf(request));
  // One command at a time: the parent waits for each answer before its next command.
  process.on('message', (command: SetUpCommand) => {
    answer(setUp, command).catch(fail);
  });
  await send({ kind: 'ready' });
}

main().catch(fail);

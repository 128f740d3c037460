/**
 * One scale-out run in a process of its own (see scale.ts): reads its request from
 * `SCALE_RUN` (JSON), runs the configuration — this process as its API process — and
 * sends the result (or the error) to the parent, then exits.
 */
import { runConfig, SCALE_CONFIGS, type ScaleRunRequest, scaleOptionsOf } from './scale.js';
import type { ScaleReply } from './scale-worker.js';

function send(reply: ScaleReply): Promise<void> {
  return new Promise((resolve) => process.send?.(reply, () => resolve()) ?? resolve());
}

// Its parent went: the run is of no use (its worker processes follow it).
process.on('disconnect', () => process.exit());

async function main(): Promise<void> {
  const request = JSON.parse(process.env.SCALE_RUN ?? '') as ScaleRunRequest;
  const config = SCALE_CONFIGS[request.config];
  if (!config) throw new Error(`unknown configuration ${request.config}`);
  const result = await runConfig(config, request.rep, scaleOptionsOf(request));
  await send({ kind: 'result', result });
}

main()
  .catch((err: Error) => send({ kind: 'error', message: err.stack ?? err.message }))
  .finally(() => process.exit());

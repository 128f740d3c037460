import type { Mode } from './scenario.js';

/** The suite's command-line options. */
export interface ChaosArgs {
  mode: Mode;
  seed: number;
  /** `--scenario a,b`: only these. */
  only?: string[];
  /** `--ci`: only the scenarios listed as passing on today's engine. */
  ci: boolean;
  /** `--keep`: keep each scenario's JSONL records and worker logs. */
  keep: boolean;
}

/** Parses the arguments; throws on an unknown option or a bad seed. */
export function parseArgs(argv: string[]): ChaosArgs {
  const args: ChaosArgs = {
    mode: 'short',
    seed: (Date.now() % 2_147_483_647) >>> 0,
    ci: false,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue;
    if (a === '--short' || a === '--long') args.mode = a === '--short' ? 'short' : 'long';
    else if (a === '--ci') args.ci = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--seed') {
      const seed = Number(argv[++i]);
      if (!Number.isInteger(seed) || seed < 0)
        throw new Error(`--seed needs a non-negative integer, got ${argv[i]}`);
      args.seed = seed;
    } else if (a === '--scenario') {
      const list = argv[++i];
      if (!list) throw new Error('--scenario needs a comma-separated list of names');
      args.only = list.split(',').filter(Boolean);
    } else
      throw new Error(
        `unknown option ${a}; use --short | --long, --seed N, --scenario a,b, --ci, --keep`,
      );
  }
  return args;
}

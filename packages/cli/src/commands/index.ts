import type { CommandEntry } from '../command.js';
import { dlqGroup } from './dlq.js';
import { executionsGroup } from './executions.js';
import { explainCommand } from './explain.js';
import { keysGroup } from './keys.js';
import { runCommand } from './run.js';
import { secretsGroup } from './secrets.js';
import { signalCommand } from './signal.js';
import { workflowsGroup } from './workflows.js';

/**
 * Every top-level command, in the order of `spane --help`. A new group of commands is a
 * module of its own in this folder (a `CommandGroup` of `Command`s), listed here.
 */
export const COMMANDS: readonly CommandEntry[] = [
  workflowsGroup,
  runCommand,
  executionsGroup,
  signalCommand,
  explainCommand,
  dlqGroup,
  keysGroup,
  secretsGroup,
];

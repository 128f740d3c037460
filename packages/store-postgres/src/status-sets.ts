// Sets of statuses the store's statements compare with (rendered as `text[]` literals).

/** Node statuses of a node that has yet to run, or is running. */
export const ACTIVE_NODE = ['queued', 'running', 'delayed', 'waiting'] as const;

/** Node statuses that end a node's run: no later write of the run may change them. */
export const FINISHED_NODE: readonly string[] = ['completed', 'failed', 'skipped', 'cancelled'];

/** Execution statuses of a finished execution. */
export const TERMINAL_EXECUTION = ['completed', 'failed', 'cancelled'] as const;

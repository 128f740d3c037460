import { exec } from './engine-harness.js';

// Executors many engine tests register as they are: stateless, so one object serves every
// registry.

/** Succeeds with no data. */
export const noop = exec(async () => ({ success: true }));

/** Succeeds with its input as its data. */
export const echoInput = exec(async (ctx) => ({ success: true, data: ctx.inputData }));

/** Succeeds with its node id as its data. */
export const echoNodeId = exec(async (ctx) => ({ success: true, data: ctx.nodeId }));

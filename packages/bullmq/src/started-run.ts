import type { BeginNodeRunResult } from '@spane/core';

/** A node run the store began (`beginNodeRun`), or that a completion started and handed off. */
export type StartedRun = Extract<BeginNodeRunResult, { started: true }>;

import type { WorkflowDefinition } from '@spane/core';
import { wf } from './engine-harness.js';

/** `A → B, A → C, B + C → D`, every node of one type. */
export function diamond(id: string, type: string): WorkflowDefinition {
  return wf(id, [
    { id: 'A', type },
    { id: 'B', type, inputs: ['A'] },
    { id: 'C', type, inputs: ['A'] },
    { id: 'D', type, inputs: ['B', 'C'] },
  ]);
}

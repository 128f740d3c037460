import type { ValidationIssue, WorkflowDefinition } from '@spane/core';
import { DELAY_NODE, validateDelayConfig } from './delay-node.js';
import { SUB_WORKFLOW_NODE, validateSubWorkflowConfig } from './sub-workflow-node.js';

/** Node types the engine runs itself; a registry entry of the same name is never used. */
export const BUILT_IN_NODE_TYPES: ReadonlySet<string> = new Set([SUB_WORKFLOW_NODE, DELAY_NODE]);

/** Problems of the configs of a definition's built-in nodes. */
export function validateBuiltInNodes(definition: WorkflowDefinition): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  definition.nodes.forEach((node, i) => {
    if (node.type === SUB_WORKFLOW_NODE) {
      issues.push(...validateSubWorkflowConfig(node.config, `/nodes/${i}`));
    } else if (node.type === DELAY_NODE) {
      issues.push(...validateDelayConfig(node.config, `/nodes/${i}`));
    }
  });
  return issues;
}

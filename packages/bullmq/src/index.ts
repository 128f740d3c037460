export type { DelayNodeConfig } from './delay-node.js';
export type { EngineLogger, WorkflowEngineOptions } from './engine-options.js';
export type { ReconcileResult } from './reconciler.js';
export type { SubWorkflowNodeConfig } from './sub-workflow-node.js';
export {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
} from './webhook-triggers.js';
export { type RedisConnection, WorkflowEngine } from './workflow-engine.js';

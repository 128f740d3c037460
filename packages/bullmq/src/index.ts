/** `config` of the built-in `delay` and `sub-workflow` nodes (their schemas are `@spane/core`'s). */
export type { DelayNodeConfig, SubWorkflowNodeConfig } from '@spane/core';
export type { EngineLogger, WorkflowEngineOptions } from './engine-options.js';
export type { ReconcileResult } from './reconciler.js';
export { prefixHashTag } from './redis-cluster.js';
export { DEFAULT_QUOTAS, type QuotaLimits, type TenantQuotaOptions } from './tenant-quotas.js';
export {
  DELIVERY_HEADER,
  DELIVERY_ID_PATTERN,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
  type WebhookSignatureInput,
} from './webhook-triggers.js';
export { type RedisConnection, WorkflowEngine } from './workflow-engine.js';

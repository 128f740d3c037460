export type { EngineLogger, WorkflowEngineOptions } from './engine-options.js';
export type { ReconcileResult } from './reconciler.js';
export { type RedisConnection, WorkflowEngine } from './workflow-engine.js';

export { AddressPolicy } from './address-policy.js';
export {
  ConfigError,
  type LogLevel,
  loadConfig,
  type ServerConfig,
  type ServerRole,
} from './config.js';
export { ListenError, type ListenErrorCode } from './listen-error.js';
export { BUILT_IN_NODE_TYPES, registerBuiltInNodes } from './nodes/built-in-nodes.js';
export {
  createHttpNode,
  HTTP_NODE_OUTPUT_SCHEMA,
  type HttpNodeConfig,
  type HttpNodeResult,
} from './nodes/http-node.js';
export { noopNode } from './nodes/noop-node.js';
export { type SwitchConfig, switchNode } from './nodes/switch-node.js';
export { type TransformConfig, transformNode } from './nodes/transform-node.js';
export { type RunningServer, type StartOptions, startServer } from './server.js';
export type { ServiceIndex } from './service-routes.js';

import {
  type BreakerOptions,
  HttpNodeConfigSchema,
  type NodeRegistry,
  NoopNodeConfigSchema,
  SwitchNodeConfigSchema,
  switchConfigProblems,
  TransformNodeConfigSchema,
  transformConfigProblems,
} from '@spane/core';
import { AddressPolicy } from '../address-policy.js';
import { createHttpNode, HTTP_NODE_OUTPUT_SCHEMA } from './http-node.js';
import { noopNode } from './noop-node.js';
import { switchNode } from './switch-node.js';
import { transformNode } from './transform-node.js';

/** Names of the node types every server has. */
export const BUILT_IN_NODE_TYPES = ['noop', 'transform', 'switch', 'http'] as const;

/**
 * Registers `noop`, `transform`, `switch` and `http`, each with its description and config
 * schema (`@spane/core`'s, so `registerWorkflow` checks their configs; `transform` and
 * `switch` also their paths, with `transformConfigProblems` and `switchConfigProblems`), `http` also with
 * its output schema. `httpAllow` lists the hosts, IPs and CIDRs the `http` node may reach
 * although they are private (SPANE_HTTP_ALLOW); `httpBreaker` gives `http` a circuit
 * breaker (SPANE_HTTP_BREAKER).
 */
export function registerBuiltInNodes(
  registry: NodeRegistry,
  options: { httpAllow: readonly string[]; httpBreaker?: BreakerOptions },
): void {
  registry.register('noop', noopNode, {
    description: 'Passes its input on unchanged (a join point or a placeholder)',
    config: NoopNodeConfigSchema,
  });
  registry.register('transform', transformNode, {
    description: 'Reshapes its input with pick, then rename, then set (dotted paths, no code)',
    config: TransformNodeConfigSchema,
    // Paths the schema cannot judge: reserved keys, empty segments, indexes over MAX_PATH_INDEX.
    configProblems: transformConfigProblems,
  });
  registry.register('switch', switchNode, {
    description:
      'Runs the children listed for the value at config.path (else default); skips the others',
    config: SwitchNodeConfigSchema,
    // A path the schema cannot judge: reserved keys.
    configProblems: switchConfigProblems,
  });
  registry.register('http', createHttpNode(AddressPolicy.parse(options.httpAllow)), {
    description:
      'Calls an HTTP(S) URL (private addresses only when allow-listed) and returns status, headers and body',
    config: HttpNodeConfigSchema,
    output: HTTP_NODE_OUTPUT_SCHEMA,
    ...(options.httpBreaker === undefined ? {} : { breaker: options.httpBreaker }),
  });
}

import type { NodeRegistry } from '@spane/core';
import { AddressPolicy } from '../address-policy.js';
import { createHttpNode } from './http-node.js';
import { noopNode } from './noop-node.js';
import { switchNode } from './switch-node.js';
import { transformNode } from './transform-node.js';

/** Names of the node types every server has. */
export const BUILT_IN_NODE_TYPES = ['noop', 'transform', 'switch', 'http'] as const;

/**
 * Registers `noop`, `transform`, `switch` and `http`. `httpAllow` lists the hosts, IPs and
 * CIDRs the `http` node may reach although they are private (SPANE_HTTP_ALLOW).
 */
export function registerBuiltInNodes(
  registry: NodeRegistry,
  options: { httpAllow: readonly string[] },
): void {
  registry.register('noop', noopNode);
  registry.register('transform', transformNode);
  registry.register('switch', switchNode);
  registry.register('http', createHttpNode(AddressPolicy.parse(options.httpAllow)));
}

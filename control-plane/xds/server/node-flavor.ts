// Which translation flavor a node gets. Proxyless gRPC libraries announce themselves in
// user_agent_name ("gRPC Node Pure-JS", "gRPC Go", ...); Envoy sends "envoy". An explicit
// `switchyard.flavor` metadata value wins, for clients that identify themselves oddly.
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import { type NodeRole, POD_ROLE, POD_SERVER_GROUP } from '../../translate/node-role.js';
import type { Flavor } from '../../translate/types.js';
import { capabilityGroupOf } from './client-family.js';

export function nodeFlavor(node: Node | undefined): Flavor {
  const explicit = node?.metadata?.['switchyard.flavor'];
  if (explicit === 'grpc' || explicit === 'envoy') return explicit;
  const agent = node?.userAgentName ?? '';
  if (/^envoy/i.test(agent)) return 'envoy';
  if (/grpc/i.test(agent)) return 'grpc';
  return 'envoy';
}

/**
 * An Envoy node's role from its `switchyard.role` metadata: absent or `gateway` is the gateway;
 * any other value binds loopback like a sidecar, so a mistyped role can never open a proxy to
 * the network (docs/XDS.md, "Node roles"). Proxyless clients have no listener to bind.
 */
export function nodeRole(node: Node | undefined): NodeRole {
  const role = node?.metadata?.['switchyard.role'];
  return role === undefined || role === 'gateway' ? 'gateway' : 'sidecar';
}

/**
 * The default node group: one snapshot per flavor, capability set and (Envoy) role; a proxyless
 * node with role `pod` reads the pods' server Listeners.
 */
export function defaultGroupOf(node: Node | undefined): string {
  const flavor = nodeFlavor(node);
  if (flavor === 'grpc' && node?.metadata?.['switchyard.role'] === POD_ROLE) return POD_SERVER_GROUP;
  return capabilityGroupOf(node, flavor, flavor === 'envoy' ? nodeRole(node) : 'gateway');
}

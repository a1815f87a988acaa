// Which translation flavor a node gets. Proxyless gRPC libraries announce themselves in
// user_agent_name ("gRPC Node Pure-JS", "gRPC Go", ...); Envoy sends "envoy". An explicit
// `switchyard.flavor` metadata value wins, for clients that identify themselves oddly.
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
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

/** The default node group: one snapshot per flavor and capability set. */
export function defaultGroupOf(node: Node | undefined): string {
  return capabilityGroupOf(node, nodeFlavor(node));
}

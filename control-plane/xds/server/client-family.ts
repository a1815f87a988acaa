// Which client library a node is, from what its Node announces: user_agent_name names the
// family ("envoy", "gRPC Node Pure JS", "gRPC C-core linux Python", "gRPC Go", "gRPC Java"),
// user_agent_version (or Envoy's user_agent_build_version) its version. C-core reports
// "C-core <core version> <language> <release>"; its core version is what decides capabilities.
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import {
  type Capabilities,
  type ClientFamily,
  type ClientInfo,
  capabilitiesFor,
  groupName,
} from '../../translate/capabilities.js';
import type { NodeRole } from '../../translate/node-role.js';
import type { Flavor } from '../../translate/types.js';

function familyOf(agent: string): ClientFamily {
  if (/^envoy/i.test(agent)) return 'envoy';
  if (/c-core/i.test(agent)) return 'c-core';
  if (/node/i.test(agent)) return 'grpc-js';
  if (/\bgo\b/i.test(agent)) return 'grpc-go';
  if (/java/i.test(agent)) return 'grpc-java';
  return 'unknown';
}

export function clientOf(node: Node | undefined): ClientInfo {
  const family = familyOf(node?.userAgentName ?? '');
  const v = node?.userAgentVersionType;
  if (v?.case === 'userAgentBuildVersion') {
    const s = v.value.version;
    return { family, version: s ? `${s.majorNumber}.${s.minorNumber}.${s.patch}` : '' };
  }
  const text = v?.case === 'userAgentVersion' ? v.value.trim() : '';
  // "C-core 29.0.0 Python 1.51.1": the core version first, the wrapping language's after it.
  return { family, version: family === 'c-core' ? text.replace(/^C-core\s+/i, '') : text };
}

export function nodeCapabilities(node: Node | undefined, flavor: Flavor): Capabilities {
  return capabilitiesFor(flavor, clientOf(node));
}

/** The node group a node reads without an identity of its own: flavor, capability set and role. */
export function capabilityGroupOf(
  node: Node | undefined,
  flavor: Flavor,
  role: NodeRole = 'gateway',
): string {
  return groupName(flavor, nodeCapabilities(node, flavor), role);
}

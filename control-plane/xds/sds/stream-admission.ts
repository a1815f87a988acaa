// Who may hold an xDS stream when the control plane runs its CA (docs/SECURITY.md, "Delivery"): the decision on a
// stream's first request, from the client certificate the TLS layer verified and the node the
// request claims. Pure apart from the gRPC status numbers it answers with.
//
// 1. No verified certificate (the optional plaintext port): only proxyless gRPC, anonymously.
//    grpc-js-xds 1.14 cannot speak TLS to its xDS server (its bootstrap accepts only
//    `insecure` and `google_default` channel_creds), so it needs that port; it never receives
//    secrets (gRPC rejects SDS, and the SDS filter gives an anonymous stream nothing). Envoy has
//    no reason to be anonymous and is refused, since its clusters would wait for secrets.
// 2. A certificate whose SPIFFE ID is not on the xDS allow-list: PERMISSION_DENIED.
// 3. A node id that does not name that SPIFFE ID (nodeIdMatchesIdentity of the PKI): PERMISSION_DENIED.
import type { PeerCertificate } from 'node:tls';
import { status } from '@grpc/grpc-js';
import { decidePeer, type PeerAllowList } from '../../../kernel/tls/index.js';
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import { nodeIdMatchesIdentity } from '../../pki/index.js';
import type { Admission } from '../server/ads-server.js';
import { nodeFlavor } from '../server/node-flavor.js';

export interface AdmissionPolicy {
  /** SPIFFE IDs or prefixes allowed to hold xDS streams (default: the whole trust domain). */
  readonly allow: PeerAllowList;
  /** Admit proxyless gRPC streams without a certificate (the plaintext port exists). */
  readonly anonymousGrpc: boolean;
}

export function admitStream(
  policy: AdmissionPolicy,
  node: Node | undefined,
  peer: PeerCertificate | undefined,
): Admission {
  if (!peer?.raw?.length) {
    if (policy.anonymousGrpc && nodeFlavor(node) === 'grpc') return { ok: true };
    return {
      ok: false,
      code: status.UNAUTHENTICATED,
      reason: policy.anonymousGrpc
        ? 'no client certificate: only proxyless gRPC may connect without one, and it gets no secrets'
        : 'no client certificate',
    };
  }
  const decision = decidePeer(peer, policy.allow);
  if (!decision.allowed) return { ok: false, code: status.PERMISSION_DENIED, reason: decision.reason };
  const nodeId = node?.id ?? '';
  if (!node || nodeId === '')
    return {
      ok: false,
      code: status.PERMISSION_DENIED,
      reason: `the first request carries no node id (certificate identity ${decision.identity})`,
    };
  const match = nodeIdMatchesIdentity(nodeId, decision.identity);
  if (!match.ok) return { ok: false, code: status.PERMISSION_DENIED, reason: match.reason };
  return { ok: true, identity: decision.identity };
}

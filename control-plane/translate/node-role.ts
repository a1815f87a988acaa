// What an Envoy node is for, as its bootstrap announces it (node metadata `switchyard.role`,
// docs/XDS.md "Node roles"): the gateway serves other hosts, a sidecar serves only the
// application beside it. A sidecar's listener therefore binds loopback: on 0.0.0.0 anyone who
// reaches the host would call the models with the sidecar's identity (an open proxy). Pure: no
// I/O, no clock.
import { XDS_POD_ROLE } from '../../kernel/contract/xds-pod.js';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import type { ResourceSet } from './types.js';

export type NodeRole = 'gateway' | 'sidecar';

export const SIDECAR_LISTEN_ADDRESS = '127.0.0.1';

// Keyed by the translator's (memoized) listeners: an unchanged listener maps to the very same
// loopback copy, so the encoder pays nothing for it.
const loopbackListeners = new WeakMap<Listener, Listener>();

function loopback(l: Listener): Listener {
  const a = l.address?.address;
  if (a?.case !== 'socketAddress' || a.value.address === SIDECAR_LISTEN_ADDRESS) return l;
  let out = loopbackListeners.get(l);
  if (!out) {
    out = {
      ...l,
      address: {
        ...l.address!,
        address: { case: 'socketAddress', value: { ...a.value, address: SIDECAR_LISTEN_ADDRESS } },
      },
    };
    loopbackListeners.set(l, out);
  }
  return out;
}

/** The set as a node of this role gets it: a sidecar's listeners bind loopback, nothing else differs. */
export function forRole(set: ResourceSet, role: NodeRole): ResourceSet {
  return role === 'sidecar' ? { ...set, listeners: set.listeners.map(loopback) } : set;
}

/**
 * A proxyless gRPC node whose `switchyard.role` is `pod` is a pod running as an xDS-managed
 * server (gRFC A36): it reads the group of server Listeners (server-listener.ts), not the
 * clients' api_listeners (docs/XDS.md, "Node roles").
 */
export const POD_ROLE = XDS_POD_ROLE;
export const POD_SERVER_GROUP = 'grpc+pod-server';

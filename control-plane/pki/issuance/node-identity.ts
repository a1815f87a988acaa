// The rule that ties an xDS node id to the certificate of its stream: the node id a proxy
// claims must match its certificate (docs/SECURITY.md, "Node ids"). Pure.
//
//   node.id == <SPIFFE ID>                    one proxy per identity, or
//   node.id == <SPIFFE ID>#<instance>         several proxies sharing an identity (a gateway
//                                             fleet under one service account), told apart
//                                             by the instance, [A-Za-z0-9._~-]{1,128}.
//
// Why "#": a SPIFFE ID may not carry a fragment, so every URI parser splits the node id at the
// same place, and the part before it must equal the certificate's ID byte for byte. Nothing is
// lowercased or normalised: an ID that two readers could map differently is a way around the
// check. Envoy sets the node id in its bootstrap (`node.id`, or `--service-node`), grpc-js-xds
// in its bootstrap's `node.id`; both can write either form.

export const NODE_INSTANCE_SEPARATOR = '#';
const INSTANCE = /^[A-Za-z0-9._~-]{1,128}$/;

export type NodeIdentityVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Does `nodeId` name the identity `spiffeId` (already proven by a verified certificate)? */
export function nodeIdMatchesIdentity(nodeId: string, spiffeId: string): NodeIdentityVerdict {
  if (nodeId === spiffeId) return { ok: true };
  if (nodeId === '') return { ok: false, reason: 'the node id is empty' };
  const at = nodeId.indexOf(NODE_INSTANCE_SEPARATOR);
  const claimed = at < 0 ? nodeId : nodeId.slice(0, at);
  if (claimed !== spiffeId)
    return {
      ok: false,
      reason: `node id ${JSON.stringify(nodeId)} does not name the certificate's identity ${spiffeId}`,
    };
  const instance = nodeId.slice(at + 1);
  if (!INSTANCE.test(instance))
    return {
      ok: false,
      reason: `node id instance ${JSON.stringify(instance)} must match ${INSTANCE.source}`,
    };
  return { ok: true };
}

/** The node id a proxy of `spiffeId` should announce (bootstrap generators, tests). */
export function nodeIdFor(spiffeId: string, instance?: string): string {
  if (instance === undefined) return spiffeId;
  if (!INSTANCE.test(instance)) throw new RangeError(`instance must match ${INSTANCE.source}`);
  return `${spiffeId}${NODE_INSTANCE_SEPARATOR}${instance}`;
}

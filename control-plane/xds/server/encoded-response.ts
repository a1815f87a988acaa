// Rule 8 all the way to the wire: a SotW response body (version, resources, type) is encoded once
// per distinct content and shared by every stream that receives it; only the nonce is encoded per
// stream. Protobuf defines a concatenation of two encoded messages as their merge, so
// body ++ toBinary({nonce}) is exactly the full DiscoveryResponse, with both parts produced by
// the generated code (no hand-written protobuf).
import { create, toBinary } from '@bufbuild/protobuf';
import { DiscoveryResponseSchema } from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import type { EncodedResource, TypeSnapshot } from '../cache/snapshot.js';
import type { TypeUrl } from '../resource-types.js';

/** A response already in wire form; the ADS service's serializer sends `bytes` as is. */
export interface PreEncodedResponse {
  readonly preEncoded: Buffer;
  /** For callers and tests that inspect what was sent. */
  readonly nonce: string;
}

export function isPreEncoded(msg: unknown): msg is PreEncodedResponse {
  return typeof msg === 'object' && msg !== null && Buffer.isBuffer((msg as PreEncodedResponse).preEncoded);
}

/** Bodies per type snapshot, by content key; forgotten with the snapshot. */
const bodies = new WeakMap<TypeSnapshot, Map<string, Uint8Array>>();
/** Keys of bodies built from several snapshots at once would grow without bound; cap them. */
const MAX_BODIES_PER_SNAPSHOT = 4096;

export function encodeResponse(
  owner: TypeSnapshot,
  type: TypeUrl,
  version: string,
  resources: Iterable<EncodedResource>,
  key: string,
  nonce: string,
): PreEncodedResponse {
  let perSnapshot = bodies.get(owner);
  if (!perSnapshot) {
    perSnapshot = new Map();
    bodies.set(owner, perSnapshot);
  }
  let body = perSnapshot.get(key);
  if (!body) {
    body = toBinary(
      DiscoveryResponseSchema,
      create(DiscoveryResponseSchema, {
        versionInfo: version,
        resources: [...resources].map((r) => r.any),
        typeUrl: type,
      }),
    );
    if (perSnapshot.size >= MAX_BODIES_PER_SNAPSHOT) perSnapshot.clear();
    perSnapshot.set(key, body);
  }
  const tail = toBinary(DiscoveryResponseSchema, create(DiscoveryResponseSchema, { nonce }));
  const out = Buffer.allocUnsafe(body.length + tail.length);
  out.set(body, 0);
  out.set(tail, body.length);
  return { preEncoded: out, nonce };
}

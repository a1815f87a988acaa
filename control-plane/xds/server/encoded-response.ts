// Rule 8 all the way to the wire: a SotW response body (version, resources, type) is encoded once
// per distinct content and shared by every stream that receives it; only the nonce is encoded per
// stream. Protobuf defines a concatenation of two encoded messages as their merge, so
// body ++ {nonce} is exactly the full DiscoveryResponse. The body comes from the generated code;
// the nonce, the one field that differs per stream, is written by protobuf-es's wire writer with
// the field number the schema declares (a reflective toBinary per stream cost more than the
// rest of the write).
import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
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

const NONCE_FIELD = DiscoveryResponseSchema.field.nonce!.number;
// One writer for every response: a new one allocates (and zeroes) its initial buffer each time;
// finish() returns a copy of what was written and resets it.
const nonceWriter = new BinaryWriter();

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
  const tail = nonceWriter.tag(NONCE_FIELD, WireType.LengthDelimited).string(nonce).finish();
  const out = Buffer.allocUnsafe(body.length + tail.length);
  out.set(body, 0);
  out.set(tail, body.length);
  return { preEncoded: out, nonce };
}

// Delta responses from shared pieces. What costs is each changed resource's `Resource` message
// (name, version, the packed Any): it is encoded once per resource version and shared by every
// delta stream that sends it. Each stream's DeltaDiscoveryResponse is then assembled around
// those bytes: the repeated `resources` field is written as tag + length + the cached bytes, the
// small per-stream fields (version, type, nonce, removals) by protobuf-es's wire writer. The
// result is byte for byte what toBinary gives for the same message (encoded-delta.test.ts):
// toBinary writes fields in field-number order, and so does this.
import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  DeltaDiscoveryResponseSchema,
  ResourceSchema,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import type { EncodedResource } from '../cache/snapshot.js';
import type { PreEncodedResponse } from './encoded-response.js';

export interface DeltaParts {
  readonly systemVersion: string;
  readonly resources: readonly EncodedResource[];
  readonly typeUrl: string;
  readonly removed: readonly string[];
  readonly nonce: string;
}

const FIELD = DeltaDiscoveryResponseSchema.field;
const RESOURCES_FIELD = FIELD.resources!.number;

type Writes = (w: BinaryWriter, m: DeltaParts, field: number) => void;
const str = (w: BinaryWriter, field: number, v: string) => {
  // proto3 strings are written only when not empty, as toBinary does.
  if (v !== '') w.tag(field, WireType.LengthDelimited).string(v);
};
const scalars: Array<[number, Writes]> = [
  [FIELD.systemVersionInfo!.number, (w, m, f) => str(w, f, m.systemVersion)],
  [FIELD.typeUrl!.number, (w, m, f) => str(w, f, m.typeUrl)],
  [FIELD.nonce!.number, (w, m, f) => str(w, f, m.nonce)],
  // Repeated strings: every element, empty ones included.
  [
    FIELD.removedResources!.number,
    (w, m, f) => {
      for (const n of m.removed) w.tag(f, WireType.LengthDelimited).string(n);
    },
  ],
];
scalars.sort(([a], [b]) => a - b);
/** The per-stream fields numbered below `resources` go before it, the others after. */
const before = scalars.filter(([n]) => n < RESOURCES_FIELD);
const after = scalars.filter(([n]) => n > RESOURCES_FIELD);

// One writer for every response: its buffer grows to the largest response and stays (one per
// process); finish() returns one exact-size copy and resets it, the only allocation of the
// bytes per response.
const writer = new BinaryWriter();

/**
 * Encoded `Resource` messages by the resource object. Resource objects are shared by every
 * snapshot that holds the same version (SnapshotEncoder interns them), so an entry lives exactly
 * as long as some snapshot, or some stream's record of what its client holds, keeps the resource.
 */
const pieces = new WeakMap<EncodedResource, Uint8Array>();

export function encodedResource(r: EncodedResource): Uint8Array {
  let bytes = pieces.get(r);
  if (!bytes) {
    bytes = toBinary(
      ResourceSchema,
      create(ResourceSchema, { name: r.name, version: r.version, resource: r.any }),
    );
    pieces.set(r, bytes);
  }
  return bytes;
}

export function encodeDeltaResponse(m: DeltaParts): PreEncodedResponse {
  // Pieces first: should one fail to encode, the shared writer holds nothing half written.
  const encoded = m.resources.map(encodedResource);
  for (const [field, write] of before) write(writer, m, field);
  for (const p of encoded) writer.tag(RESOURCES_FIELD, WireType.LengthDelimited).bytes(p);
  for (const [field, write] of after) write(writer, m, field);
  // One exact-size copy per response, as toBinary makes; the Buffer is a view of it.
  const bytes = writer.finish();
  return { preEncoded: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), nonce: m.nonce };
}

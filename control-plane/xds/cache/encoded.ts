// What the snapshot cache keeps per resource and per type, and the content hash its versions
// are: shared by the snapshot (snapshot.ts) and the per-type records it patches (type-record.ts).
import * as nodeCrypto from 'node:crypto';
import type { Any } from '@bufbuild/protobuf/wkt';

/** Names of other resources this one needs (see validate/references.ts). */
export interface ResourceRefs {
  readonly clusters?: readonly string[];
  readonly routes?: readonly string[];
  readonly eds?: string;
  readonly secrets?: readonly string[];
}

export interface EncodedResource {
  readonly name: string;
  /** Content hash of the encoded bytes: the resource's version in delta xDS. */
  readonly version: string;
  readonly any: Any;
  readonly refs: ResourceRefs;
}

export interface TypeSnapshot {
  /** Content hash over every (name, version) of the type: the SotW version_info. */
  readonly version: string;
  readonly resources: ReadonlyMap<string, EncodedResource>;
}

// A one-shot digest (Node 20.12 and later, so every Node the package's engines allow), about half
// the time of a Hash object per call for the few hundred bytes most resources are: 120,000
// resources in a 10,000-model Envoy build. This @types/node does not declare it yet.
const sha256Hex = (
  nodeCrypto as unknown as { hash(algorithm: 'sha256', data: Uint8Array | string, encoding: 'hex'): string }
).hash;

export function contentHash(data: Uint8Array | string): string {
  return sha256Hex('sha256', data, 'hex').slice(0, 16);
}

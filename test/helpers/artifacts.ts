// Publishes a model artifact the way the registry does (kernel/artifacts): AES-256-GCM under a
// fresh data key, the data key sealed with the KEK under the artifact's label, the object in the
// JetStream Object Store `<prefix>_artifacts`. Returns the assignment entry that names it.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Objm, setSha256Backend } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  artifactKeyLabel,
  artifactObjectName,
  encryptArtifact,
  newDataKey,
  sha256Digest,
} from '../../kernel/artifacts/index.js';
import { type KeyEncryptionKey, sealKey } from '../../kernel/crypto/index.js';
import type { AssignedVersionSchema } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';

// As the pod does (data-plane/managed/artifact-fetch.ts): OpenSSL's SHA-256, not the JS one.
setSha256Backend('native');

export type AssignedInit = MessageInitShape<typeof AssignedVersionSchema>;

export interface ArtifactInit {
  name: string;
  version: string;
  plain: Uint8Array;
  configYaml?: string;
  regions?: string[];
  /** Store these bytes instead of `plain` (the digest still names `plain`): a corrupted artifact. */
  storedPlain?: Uint8Array;
}

export async function publishArtifact(
  nc: NatsConnection,
  bucket: string,
  kek: KeyEncryptionKey,
  a: ArtifactInit,
): Promise<AssignedInit> {
  const store = await new Objm(nc).create(bucket, { max_bytes: 200 * 1024 * 1024 });
  const dataKey = newDataKey();
  const sealed = encryptArtifact(a.storedPlain ?? a.plain, dataKey);
  await store.putBlob({ name: artifactObjectName(a.name, a.version) }, sealed);
  return assignmentOf(a, await sealKey(dataKey, kek, artifactKeyLabel(a.name, a.version)));
}

/**
 * The assignment entry of an artifact that is not in the store: for a pod whose cache already
 * holds the version (a download would find no object, so a pod that used the cache is proven
 * to have done so).
 */
export async function unpublishedAssignment(kek: KeyEncryptionKey, a: ArtifactInit): Promise<AssignedInit> {
  return assignmentOf(a, await sealKey(newDataKey(), kek, artifactKeyLabel(a.name, a.version)));
}

function assignmentOf(a: ArtifactInit, sealedDataKey: string): AssignedInit {
  return {
    model: a.name,
    version: a.version,
    digest: sha256Digest(a.plain),
    sizeBytes: BigInt(a.plain.length),
    objectName: artifactObjectName(a.name, a.version),
    sealedDataKey,
    regions: a.regions ?? [],
    configYaml: a.configYaml ?? '',
  };
}
